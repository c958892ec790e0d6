// Two connected in-memory IPC ports (the real ones are a cluster worker and `process`):
// a message crosses asynchronously and as JSON, as on a real channel.
import { EventEmitter } from 'node:events'
import type { Port } from '../../src/cluster/ipc.js'

export type TestPort = Port & { connected: boolean, sent: number }

export function pair (): [TestPort, TestPort] {
  const make = (): EventEmitter & TestPort & { peer?: EventEmitter } => {
    const e = new EventEmitter() as EventEmitter & TestPort & { peer?: EventEmitter }
    e.connected = true
    e.sent = 0
    e.send = (m: unknown) => {
      e.sent++
      setImmediate(() => e.peer?.emit('message', JSON.parse(JSON.stringify(m))))
    }
    e.isConnected = () => e.connected
    return e
  }
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}
