// Read at run time so the package version has one source; `../package.json` resolves from src/ and dist/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
