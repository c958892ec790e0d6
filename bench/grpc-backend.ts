// The gRPC benchmark backend: test.Echo/Unary on @grpc/grpc-js (h2c), answering each
// message with itself. Prints `listening <port>` when ready.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

const proto = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'echo.proto')
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(proto, { keepCase: true }))
const Echo = (pkg.test as grpc.GrpcObject).Echo as grpc.ServiceClientConstructor
const server = new grpc.Server()
server.addService(Echo.service, {
  Unary (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, callback: grpc.sendUnaryData<{ text: string }>) {
    callback(null, { text: call.request.text })
  }
})
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err !== null) throw err
  console.log(`listening ${port}`)
})
process.once('SIGTERM', () => {
  server.forceShutdown()
  process.exit(0)
})
