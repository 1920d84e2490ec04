/** How far back the measured admission rate looks, roughly (exponential smoothing). */
const SMOOTHING_MS = 5_000;

/**
 * Admissions per second a line actually achieves while fans wait: the configured
 * rate, or less when maxActive or the seats left bind. ETAs use it so a line held
 * back by its cap does not promise the configured rate.
 */
export function createFlowMeter(configuredPerSecond: number, startMs: number) {
  let rate = configuredPerSecond;
  let lastMs = startMs;
  return {
    /** One tick: how many were admitted and whether anyone was waiting. Returns the rate to quote. */
    record(nowMs: number, admitted: number, anyoneWaiting: boolean): number {
      const elapsed = nowMs - lastMs;
      lastMs = nowMs;
      // An empty line admits nobody for want of fans, not of capacity: that says nothing about the flow.
      if (elapsed > 0 && (anyoneWaiting || admitted > 0)) {
        const instant = (admitted * 1000) / elapsed;
        rate += (elapsed / (elapsed + SMOOTHING_MS)) * (instant - rate);
      }
      return this.current();
    },
    /** Never above the configured rate, never so low that an ETA becomes meaningless. */
    current(): number {
      return Math.min(configuredPerSecond, Math.max(rate, configuredPerSecond / 50));
    },
  };
}

export type FlowMeter = ReturnType<typeof createFlowMeter>;
