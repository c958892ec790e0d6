// One HS256 token for the JWT variant, valid for the whole run.
import { SignJWT } from 'jose'
import { BENCH_JWT_SECRET } from './turnpike.js'

export async function benchJwtHeaders (): Promise<Record<string, string>> {
  const token = await new SignJWT({ scope: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench-user')
    .setIssuer('https://bench.turnpike')
    .setAudience('bench')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(BENCH_JWT_SECRET))
  return { authorization: `Bearer ${token}` }
}
