import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type AnyDb = Kysely<any>;

const TIME = 'bigint';

/**
 * Rule assignment per level (policy or computer), rule property overrides per level, custom rules
 * per module, the global "Exclude from recommendations" flag and each computer's last
 * recommendation scan. Targets are polymorphic (policy or computer), so they carry no foreign key;
 * the services ignore rows whose target no longer exists.
 */
export const rulesMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('rule_assignments')
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('assigned_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('rule_assignments_pk', ['target_kind', 'target_id', 'module', 'rule_id'])
      .execute();
    await db.schema
      .createIndex('rule_assignments_rule')
      .on('rule_assignments')
      .columns(['module', 'rule_id'])
      .execute();

    await db.schema
      .createTable('rule_overrides')
      .addColumn('target_kind', 'text', (c) => c.notNull())
      .addColumn('target_id', 'text', (c) => c.notNull())
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('overrides_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('rule_overrides_pk', ['target_kind', 'target_id', 'module', 'rule_id'])
      .execute();

    await db.schema
      .createTable('custom_rules')
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('definition_json', 'text', (c) => c.notNull())
      .addColumn('created_at', TIME, (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('custom_rules_pk', ['module', 'id'])
      .execute();

    await db.schema
      .createTable('recommendation_exclusions')
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('excluded', 'integer', (c) => c.notNull())
      .addColumn('updated_at', TIME, (c) => c.notNull())
      .addPrimaryKeyConstraint('recommendation_exclusions_pk', ['module', 'rule_id'])
      .execute();

    await db.schema
      .createTable('recommendation_results')
      .addColumn('computer_id', 'text', (c) => c.primaryKey().references('computers.id').onDelete('cascade'))
      .addColumn('scanned_at', TIME, (c) => c.notNull())
      .addColumn('inventory_digest', 'text', (c) => c.notNull())
      .addColumn('recommended_json', 'text', (c) => c.notNull())
      .addColumn('applied_json', 'text', (c) => c.notNull())
      .execute();
  },
};
