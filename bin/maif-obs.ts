/** The `maif-obs` launcher: runs one command line and sets the exit code. */
import { main } from '../cli/index';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
