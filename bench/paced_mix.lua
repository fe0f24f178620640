-- The request mix of mix.lua, sent at a fixed rate (open loop), for wrk (bench/open_loop.py).
-- Arguments after wrk's `--`: <mix customers> <run tag> <requests per second in all> <wrk threads>.
-- wrk is closed-loop: each connection sends its next request when the previous answer
-- arrives. delay() turns that into a schedule: every thread hands out send times spaced
-- evenly at its share of the rate, and a connection that becomes free waits for the next
-- slot. With enough connections idle, requests leave on schedule however slow the answers
-- are; a request that had to wait for a free connection is sent late, and its queueing is
-- then missing from wrk's latency, so the report also gives the rate achieved.
-- The clock is CLOCK_MONOTONIC through LuaJIT's ffi (wrk's Lua has no clock of its own).

dofile(os.getenv("BENCH_MIX_LUA"))

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_buffer = ffi.new("bench_timespec")

local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, now_buffer)
    return tonumber(now_buffer.tv_sec) * 1000 + tonumber(now_buffer.tv_nsec) / 1e6
end

local mix_init = init
local interval_ms, next_slot_ms

function init(args)
    mix_init(args)
    -- Every thread takes an equal share of the rate, its slots offset from the others'.
    local threads = tonumber(args[4])
    interval_ms = 1000 * threads / tonumber(args[3])
    next_slot_ms = now_ms() + interval_ms * (thread_number - 1) / threads
end

function delay()
    local now = now_ms()
    next_slot_ms = math.max(next_slot_ms + interval_ms, now - interval_ms)
    return math.max(0, next_slot_ms - now)
end
