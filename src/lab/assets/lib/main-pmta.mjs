import { main } from './pmta-cli.mjs';

await main(process.argv.slice(2));
