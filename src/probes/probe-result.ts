/** One timed request of a critical service. Phases are ms from the start; null when not reached. */
export interface ProbeResult {
  /** Epoch ms the probe started. */
  time: number;
  name: string;
  /** Whether the service answered with the expected status in time. */
  ok: boolean;
  status: number | null;
  /** Name lookup through rambu's own resolver (0 for an address URL). */
  dnsMs: number | null;
  /** TCP connection established. */
  connectMs: number | null;
  /** TLS handshake done (https only). */
  tlsMs: number | null;
  /** First byte of the response. */
  firstByteMs: number | null;
  /** Response complete. */
  totalMs: number | null;
  /** What went wrong, for a failed probe. */
  error: string | null;
}
