export { expandGlobs, LogFollower } from './log-follower.js';
export { loginspectAgentFactory } from './loginspect-agent-module.js';
