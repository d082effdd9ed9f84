export {
  type StartResult,
  startTrafficEngine,
  type TrafficFindingsEvent,
  type TrafficRuntime,
  type TrafficRuntimeOptions,
  type TrafficRuntimeStats,
} from './traffic-runtime.js';
export {
  DEFAULT_FLOW_MARKS,
  type FlowMarks,
  installTrafficSteering,
  iptablesRules,
  mergePorts,
  nftRuleset,
  removeTrafficSteering,
  type SteeringPlan,
} from './traffic-steering.js';
