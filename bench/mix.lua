-- The request mix of POST /identify, for wrk (bench/load.py runs it).
-- Arguments after wrk's `--`: <mix customers> <run tag>.
--   60% repeat customer:       the email and phone of customer n's first contact (known pair)
--   25% new customer:          an email and a phone no one sent before
--   10% new information:       customer n's email with a new phone, or its phone with a new email
--    5% bridge two customers:  customer a's email with customer b's phone
-- Customer n's values are those bench/seed_contacts.sql gave it. New values carry the run
-- tag (unique per wrk invocation), the thread number and a counter, so they never repeat
-- across threads or runs; their phones start with 9, the seeded ones with 1.
-- BENCH_MIX_ROLLS=<from>-<to> (environment) sends only the kinds whose rolls fall in that
-- range: 1-60 the repeat customers, 61-100 the writes (bench/open_loop.py takes the mix apart).
-- done() prints one JSON line (prefixed BENCH_JSON) that bench/load.py parses.

local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
end

local customers, run_tag, sequence
local roll_from, roll_to = string.match(os.getenv("BENCH_MIX_ROLLS") or "1-100", "^(%d+)-(%d+)$")
roll_from, roll_to = tonumber(roll_from), tonumber(roll_to)

function init(args)
    customers = tonumber(args[1])
    run_tag = tonumber(args[2])
    sequence = 0
    math.randomseed(run_tag * 100 + thread_number)
end

local function known_email(n) return string.format("c%d.0@bench.test", n) end
local function known_phone(n) return string.format("1%09d00000", n) end

local function new_email()
    sequence = sequence + 1
    return string.format("n%d.%d.%d@new.bench.test", run_tag, thread_number, sequence)
end

local function new_phone()
    sequence = sequence + 1
    return string.format("9%09d%02d%08d", run_tag, thread_number, sequence)
end

local headers = { ["Content-Type"] = "application/json" }

function request()
    local roll = math.random(roll_from, roll_to)
    local email, phone
    if roll <= 60 then
        local n = math.random(customers)
        email, phone = known_email(n), known_phone(n)
    elseif roll <= 85 then
        email, phone = new_email(), new_phone()
    elseif roll <= 90 then
        email, phone = known_email(math.random(customers)), new_phone()
    elseif roll <= 95 then
        email, phone = new_email(), known_phone(math.random(customers))
    else
        email, phone = known_email(math.random(customers)), known_phone(math.random(customers))
    end
    local body = string.format('{"email": "%s", "phoneNumber": "%s"}', email, phone)
    return wrk.format("POST", "/identify", headers, body)
end

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
            .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
        summary.requests, summary.duration, errors.status,
        errors.connect + errors.read + errors.write + errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
