-- The run id of the Redis server running this script. It changes whenever the
-- server restarts (or a replica takes over), which is when Redis may come back
-- without its last writes (appendfsync everysec loses up to a second on an OS crash).
local function serverRunId()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
end
