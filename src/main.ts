import 'reflect-metadata';
import { createApp } from './bootstrap.js';
import { ConfigValidationError, loadConfig } from './config/app-config.js';
import { DataDirInUseError } from './database/embedded-postgres.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError || error instanceof DataDirInUseError) {
    console.error(error.message);
  } else {
    console.error('Start-up failed:', error);
  }
  process.exit(1);
});
