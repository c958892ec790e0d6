// A real gRPC server (@grpc/grpc-js) for tests: test.Echo in all four shapes, echoing
// metadata back as headers and trailers (Bidi ends the call on a message 'end'), and grpc.health.v1.Health/Check answering
// with whatever `health.status` says.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

interface Msg { text: string }
type Call = (...args: unknown[]) => unknown
type AnyClient = grpc.Client & { Unary: Call, ServerStream: Call, ClientStream: Call, Bidi: Call }

function load (file: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path.join(FIXTURES, file), { keepCase: true, defaults: true }))
}

const echoPackage = load('echo.proto')
const healthPackage = load('health.proto')
const EchoService = (echoPackage.test as grpc.GrpcObject).Echo as grpc.ServiceClientConstructor
const HealthService = ((healthPackage.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject

export interface GrpcEcho {
  readonly port: number
  readonly health: { status: 'SERVING' | 'NOT_SERVING' }
  close (): Promise<void>
}

function echoMetadata (call: { metadata: grpc.Metadata }): grpc.Metadata {
  const out = new grpc.Metadata()
  const value = call.metadata.get('x-meta')[0]
  if (value !== undefined) out.set('x-meta-echo', String(value))
  return out
}

function trailers (call: { metadata: grpc.Metadata }): grpc.Metadata {
  const out = new grpc.Metadata()
  out.set('x-trailer', 'done:' + String(call.metadata.get('x-meta')[0] ?? ''))
  return out
}

export async function startGrpcEcho (credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<GrpcEcho> {
  const server = new grpc.Server()
  const health = { status: 'SERVING' as 'SERVING' | 'NOT_SERVING' }
  server.addService(EchoService.service, {
    Unary (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) {
      call.sendMetadata(echoMetadata(call))
      const text = call.request.text
      if (text.startsWith('sleep:')) {
        setTimeout(() => { callback(null, { text }, trailers(call)) }, Number(text.slice(6)))
        return
      }
      if (text === 'fail') {
        callback({ code: grpc.status.FAILED_PRECONDITION, details: 'told to fail', metadata: trailers(call) })
        return
      }
      callback(null, { text: 'echo:' + text }, trailers(call))
    },
    ServerStream (call: grpc.ServerWritableStream<Msg, Msg>) {
      for (let i = 0; i < 3; i++) call.write({ text: `${call.request.text}-${i}` })
      call.end(trailers(call))
    },
    ClientStream (call: grpc.ServerReadableStream<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) {
      const seen: string[] = []
      call.on('data', (m: Msg) => seen.push(m.text))
      call.on('end', () => { callback(null, { text: seen.join('+') }, trailers(call)) })
    },
    Bidi (call: grpc.ServerDuplexStream<Msg, Msg>) {
      let ended = false
      call.on('data', (m: Msg) => {
        if (ended) return
        call.write({ text: 're:' + m.text })
        // 'end' ends the call (OK) while the client is still streaming.
        if (m.text === 'end') {
          ended = true
          call.end(trailers(call))
        }
      })
      call.on('end', () => { if (!ended) call.end(trailers(call)) })
    }
  })
  server.addService((HealthService.Health as grpc.ServiceClientConstructor).service, {
    Check (_call: unknown, callback: grpc.sendUnaryData<{ status: string }>) {
      callback(null, { status: health.status })
    }
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => { if (err !== null) reject(err); else resolve(p) })
  })
  return {
    port,
    health,
    async close () {
      await new Promise<void>((resolve) => { server.tryShutdown(() => { resolve() }) })
      server.forceShutdown()
    }
  }
}

export interface GrpcFailing {
  readonly port: number
  /** Calls received, of every method. */
  calls: number
  /** The size of each request message received (the text of a unary call, each streamed one). */
  readonly received: number[]
  close (): Promise<void>
}

/**
 * A test.Echo server that fails every call with `code` once it has read the whole
 * request: trailers-only for Unary and ClientStream; ServerStream sends one message
 * first, so its status comes in trailers after response data.
 */
export async function startGrpcFailing (code: grpc.status): Promise<GrpcFailing> {
  const server = new grpc.Server()
  const state = { calls: 0, received: [] as number[] }
  const failure = (): Partial<grpc.StatusObject> => ({ code, details: `told to answer ${grpc.status[code]}` })
  server.addService(EchoService.service, {
    Unary (call: grpc.ServerUnaryCall<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) {
      state.calls++
      state.received.push(call.request.text.length)
      callback(failure())
    },
    ServerStream (call: grpc.ServerWritableStream<Msg, Msg>) {
      state.calls++
      call.write({ text: 'first' })
      call.emit('error', failure())
    },
    ClientStream (call: grpc.ServerReadableStream<Msg, Msg>, callback: grpc.sendUnaryData<Msg>) {
      state.calls++
      call.on('data', (m: Msg) => state.received.push(m.text.length))
      call.on('end', () => { callback(failure()) })
    },
    Bidi (call: grpc.ServerDuplexStream<Msg, Msg>) {
      state.calls++
      call.on('data', () => undefined)
      call.on('end', () => { call.emit('error', failure()) })
    }
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => { if (err !== null) reject(err); else resolve(p) })
  })
  return Object.assign(state, {
    port,
    async close () {
      await new Promise<void>((resolve) => { server.tryShutdown(() => { resolve() }) })
      server.forceShutdown()
    }
  })
}

/** A test.Echo client for `address` (host:port). */
export function echoClient (address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): AnyClient {
  return new EchoService(address, credentials, options) as unknown as AnyClient
}

export async function unary (client: AnyClient, text: string, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<{ reply: Msg, headers: grpc.Metadata, trailers: grpc.Metadata }> {
  let headers = new grpc.Metadata()
  let trailersSeen = new grpc.Metadata()
  const reply = await new Promise<Msg>((resolve, reject) => {
    const call = client.Unary({ text }, metadata, options, (err: grpc.ServiceError | null, res: Msg) => {
      if (err !== null) reject(err)
      else resolve(res)
    }) as grpc.ClientUnaryCall
    call.on('metadata', (m: grpc.Metadata) => { headers = m })
    call.on('status', (s: grpc.StatusObject) => { trailersSeen = s.metadata })
  })
  // 'status' comes after the callback: wait a turn for it.
  await new Promise((resolve) => setImmediate(resolve))
  return { reply, headers, trailers: trailersSeen }
}

export { grpc }
