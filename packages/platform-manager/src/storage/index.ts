export { migrateToLatest, migrations } from './migrations.js';
export {
  type DatabaseLocation,
  type DialectName,
  type OpenOptions,
  openDatabase,
  type Store,
} from './open-database.js';
export type { Database } from './schema.js';
