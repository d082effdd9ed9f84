/** The tables of rules-migration.ts (same column conventions as schema.ts). */
export interface RuleAssignmentsTable {
  target_kind: 'policy' | 'computer';
  target_id: string;
  module: string;
  rule_id: string;
  assigned_at: number;
}

export interface RuleOverridesTable {
  target_kind: 'policy' | 'computer';
  target_id: string;
  module: string;
  rule_id: string;
  overrides_json: string;
  updated_at: number;
}

export interface CustomRulesTable {
  module: string;
  id: string;
  definition_json: string;
  created_at: number;
  updated_at: number;
}

export interface RecommendationExclusionsTable {
  module: string;
  rule_id: string;
  /** 0 or 1: no native booleans. */
  excluded: number;
  updated_at: number;
}

export interface RecommendationResultsTable {
  computer_id: string;
  scanned_at: number;
  inventory_digest: string;
  /** `Record<module, ruleId[]>` */
  recommended_json: string;
  /** `Record<module, ruleId[]>` */
  applied_json: string;
}

export interface RulesTables {
  rule_assignments: RuleAssignmentsTable;
  rule_overrides: RuleOverridesTable;
  custom_rules: CustomRulesTable;
  recommendation_exclusions: RecommendationExclusionsTable;
  recommendation_results: RecommendationResultsTable;
}
