--[[
  The run id of the Redis server that holds a concert's keys, written into the
  concert's meta when it is loaded (see includes/stale-after-restart).

  Input:
    KEYS[1] concert meta   {concert:<id>}:meta   (only to reach the server, or Cluster node, that holds it)

  Output:
    the server's run id (40 hex characters)
]]
--- @include "includes/server-run-id"

return serverRunId()
