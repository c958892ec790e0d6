// The problems a config text produces, for tests that assert on them.
import { ConfigError, parseConfigText, type ConfigProblem } from '../../src/config/load.js'

/** Every problem parseConfigText reports for `text`, or [] when it is valid. */
export function configProblems (text: string, file = 'gw.yaml'): ConfigProblem[] {
  try {
    parseConfigText(text, file, {})
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}
