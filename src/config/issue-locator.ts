// Positions for issues found after the pipeline ran (user plugins are checked by an
// asynchronous stage that loads their code): the same text is expanded and parsed
// again, which costs a few milliseconds at config load and keeps LoadedConfig plain data.
import path from 'node:path'
import { dottedPath, type ConfigProblem, type Issue } from './problem.js'
import { positionIndex } from './text-position.js'
import { expandEnv } from './env.js'
import { parseYaml } from './yaml-source.js'

export function issueLocator (text: string, file: string, env: NodeJS.ProcessEnv): (issue: Issue) => ConfigProblem {
  const positionOf = positionIndex(text)
  const expanded = expandEnv(text, env)
  const parsed = parseYaml(expanded.text)
  return (issue) => ({
    file,
    ...positionOf(expanded.toSourceOffset(parsed.map.offsetOf(issue.path, issue.at))),
    path: dottedPath(issue.path),
    message: issue.message
  })
}

/** The directory relative paths in a config are resolved against. */
export function configDir (file: string): string {
  return path.dirname(path.resolve(file))
}
