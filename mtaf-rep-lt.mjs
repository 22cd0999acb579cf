import { Listr, ListrLogger, ProcessOutput } from 'listr2';
const output = new ProcessOutput(process.stderr, process.stderr);
const list = new Listr([{ title: 'probing 0/5', task: async (_c, task) => { for (let i = 1; i <= 5; i++) { await new Promise(r => setTimeout(r, 400)); task.title = `probing ${i}/5`; } } }],
  { renderer: 'default', fallbackRenderer: 'silent', forceTTY: true, registerSignalListeners: false });
await list.run();
