/** How many positions, roughly, the share looks back over (exponential smoothing per position passed). */
const WINDOW_POSITIONS = 200;
/** A line where nearly everyone left still quotes a wait per position ahead. */
const MIN_SHARE = 0.05;

/**
 * The share of positions reaching the front of the line whose fan is still there
 * to be admitted. A fan silent for the grace period is dropped but keeps the
 * position number, so positions ahead of a fan overcount the fans who will really
 * be admitted before it; ETAs scale them by this share. Measured at the front
 * (admitted ÷ positions the serving counter moved past), because that is the age
 * every place ahead will have reached when the front gets to it. Counting drops
 * when they happen instead would misjudge it: a burst of joiners who leave
 * together is dropped in a burst a grace period later, anywhere in the line.
 */
export function createAliveShareMeter() {
  let share = 1;
  let lastServing: number | undefined;
  return {
    /** One tick: the serving counter after it and how many fans it admitted. Returns the share to quote. */
    record(serving: number, admitted: number): number {
      // The first tick this process sees is only a baseline: the positions passed before it are unknown.
      const passed = lastServing === undefined ? 0 : serving - lastServing;
      lastServing = serving;
      if (passed > 0) {
        const weight = 1 - (1 - 1 / WINDOW_POSITIONS) ** passed;
        share += weight * (Math.min(1, admitted / passed) - share);
      }
      return this.current();
    },
    current: () => Math.max(MIN_SHARE, share),
  };
}

export type AliveShareMeter = ReturnType<typeof createAliveShareMeter>;
