// `server.workers: auto` reads the cgroup CPU quota (v2 cpu.max, v1 cfs quota/period),
// rounded up, along the process's cgroup path; without one it is availableParallelism().
import assert from 'node:assert/strict'
import path from 'node:path'
import { test } from 'node:test'
import { availableCpus, cgroupCpuLimit, parseCpuMax, workerCount } from '../src/cluster/cpu-count.js'
import { ROOT } from './helpers/child.js'

const fixture = (name: string) => {
  const dir = path.join(ROOT, 'test', 'fixtures', 'cgroup', name)
  return { procCgroup: path.join(dir, 'proc-cgroup'), root: path.join(dir, 'sys') }
}

test('cgroup v2: a pod with limits.cpu 2 on a 64-core node runs 2 workers', () => {
  assert.equal(cgroupCpuLimit(fixture('v2-limit')), 2)
  assert.equal(availableCpus(fixture('v2-limit'), 64), 2)
})

test('cgroup v2: "max" is no quota, so auto is availableParallelism()', () => {
  assert.equal(cgroupCpuLimit(fixture('v2-unlimited')), null)
  assert.equal(availableCpus(fixture('v2-unlimited'), 6), 6)
})

test('cgroup v2: a fractional quota on a parent cgroup rounds up', () => {
  assert.equal(cgroupCpuLimit(fixture('v2-fraction')), 2)
})

test('cgroup v1: cfs_quota_us / cfs_period_us on the cpu,cpuacct mount', () => {
  assert.equal(cgroupCpuLimit(fixture('v1-limit')), 3)
  assert.equal(availableCpus(fixture('v1-limit'), 64), 3)
})

test('cgroup v1: a quota of -1 is no quota', () => {
  assert.equal(cgroupCpuLimit(fixture('v1-unlimited')), null)
  assert.equal(availableCpus(fixture('v1-unlimited'), 4), 4)
})

test('no cgroup files at all: availableParallelism()', () => {
  assert.equal(availableCpus({ procCgroup: '/nonexistent/cgroup', root: '/nonexistent' }, 5), 5)
})

test('a quota larger than the CPUs the process may run on is capped by them', () => {
  assert.equal(availableCpus(fixture('v1-limit'), 2), 2)
})

test('cpu.max parsing', () => {
  assert.equal(parseCpuMax('max 100000'), null)
  assert.equal(parseCpuMax('50000 100000'), 1)
  assert.equal(parseCpuMax('400000 100000\n'), 4)
  assert.equal(parseCpuMax('garbage'), null)
})

test('workerCount: a number is itself, auto asks the CPU reader', () => {
  assert.equal(workerCount(3, () => 9), 3)
  assert.equal(workerCount('auto', () => 9), 9)
})
