// Regenerates docs/configuration.md from the CLI's flag table: npm run docs:config
import { writeFileSync } from 'node:fs';
import { configurationMarkdown } from '../packages/cli/src/flags.js';
writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationMarkdown());
