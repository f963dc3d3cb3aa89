// Run by `npm run build` (postbuild): the initialised cluster new embedded data directories start from.
import { buildTemplate, TEMPLATE_DIR } from './embedded-cluster.js';

if ((await buildTemplate()) === 'built') console.log(`Embedded database template written to ${TEMPLATE_DIR}`);
