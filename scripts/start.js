// `npm start [folder]`: a real VS Code (1.100, served by code-server) with
// this extension loaded as a development extension, on the given folder or,
// without one, on a demo repository created under .vscode-test/demo/.
// Prints the URL to open in a browser; Ctrl-C stops it cleanly.
// The port is random unless PORT is set.
const fs = require('fs');
const path = require('path');
const { startServer, createDemoRepository, root } = require('./host');

async function main() {
  const given = process.argv[2];
  let folder;
  if (given) {
    folder = path.resolve(given);
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      console.error(`npm start: "${given}" is not a folder.`);
      process.exit(2);
    }
  } else {
    folder = path.join(root, '.vscode-test', 'demo', 'demo-repo');
    if (!fs.existsSync(path.join(folder, '.git'))) {
      fs.mkdirSync(folder, { recursive: true });
      createDemoRepository(folder);
      console.log(`Created a demo repository in ${folder}`);
    }
  }
  const stateDir = path.join(root, '.vscode-test', 'start-state');
  fs.mkdirSync(stateDir, { recursive: true });
  const server = await startServer({ stateDir, port: Number(process.env.PORT || 0) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping VS Code…');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.child.on('exit', (code) => {
    if (!stopping) {
      console.error(`The VS Code server stopped (exit code ${code}); its log is ${path.join(stateDir, 'server.log')}.`);
      process.exit(1);
    }
  });
  console.log(`\nVS Code ${'1.100'} with Plan Worktrees is running on ${folder}`);
  console.log('Open this URL in a browser (the Plan Worktrees view is in the activity bar):\n');
  console.log(`  ${server.pageUrl(folder)}\n`);
  console.log('Press Ctrl-C to stop.');
}

main().catch((e) => {
  console.error(`npm start failed: ${e.message}`);
  process.exit(1);
});
