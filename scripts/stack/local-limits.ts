/**
 * Every local client (npm start, the tests, the load runs and the benches) comes from
 * 127.0.0.1, so the per-IP limits would stop the measurement, not a flood: stacks
 * started here raise them. The limits themselves are proven with low values in
 * test/security/rate-limits.test.ts and the socket abuse tests.
 */
export const PER_IP_LIMITS_RAISED = {
  WAITING_ROOM_JOIN_LIMIT_PER_IP: '1000000',
  REGISTER_LIMIT_PER_IP: '1000000',
  WAITING_ROOM_WATCHES_PER_IP: '1000000',
};

/** For load: the ramp sends each fan dozens of bookings a minute, past the per-fan submission limit too. */
export const LOAD_LIMITS_RAISED = { ...PER_IP_LIMITS_RAISED, BOOKING_SUBMIT_LIMIT: '1000000' };
