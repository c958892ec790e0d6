// Type guards for walking config data that has not passed the schema yet.

export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function entriesOf (value: unknown): Array<[string, unknown]> {
  return isObject(value) ? Object.entries(value) : []
}

export function itemsOf (value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
