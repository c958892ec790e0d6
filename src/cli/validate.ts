// `turnpike validate FILE`: exit 0 and a one-line summary when the config is valid;
// exit 1 with every problem as `FILE:LINE:COL path.to.key: message`; exit 2 on misuse.
import { ConfigError, loadConfigFile } from '../config/load.js'
import { processIo, type CommandIo } from './command-io.js'

const USAGE = 'usage: turnpike validate FILE\n'

/** `argv`: the arguments after `validate`. */
export async function run (argv: string[], io: CommandIo = processIo()): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout.write(USAGE)
    return 0
  }
  const [file, ...extra] = argv
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    io.stderr.write(USAGE)
    return 2
  }
  try {
    const { config } = await loadConfigFile(file, io.env)
    io.stdout.write(`${file}: valid (${config.routes.length} routes, ${Object.keys(config.upstreams).length} upstreams)\n`)
    return 0
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    io.stderr.write(err.message + '\n')
    return 1
  }
}
