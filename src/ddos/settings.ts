// The DDoS policy's settings: security.ddos, durations in milliseconds.

export interface DdosSettings {
  /** Requests per window from one address before it is blocked. */
  readonly threshold: number
  readonly window: number
  readonly blockFor: number
}

