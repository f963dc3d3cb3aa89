// The DataSource the TypeORM CLI uses (`npm run migration:*`), built from the same configuration as the server.
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { typeOrmOptions } from './typeorm-options.js';

const config = loadConfig();
const embedded =
  config.database.kind === 'embedded' ? await EmbeddedPostgres.start(config.database.dataDir) : undefined;

export default new DataSource(typeOrmOptions(config, embedded));
