package io.streamrag.model;

import java.util.Locale;

/**
 * Fault injection settings, parsed from {@code key=value,...} (CLI {@code --faults} or per-request {@code X-Fault}
 * header): {@code latency} ms, {@code jitter} ms, {@code error} rate (500), {@code timeout} rate and
 * {@code timeoutMs} (sleep beyond the client timeout), {@code ratelimit} rate or {@code ratelimitFirst} K requests
 * (429), {@code retryAfter} seconds, {@code runaway} rate (a 200 whose body never ends, like a server that ignores its
 * token limit), {@code stall} rate (a 200 whose headers and first bytes come at once and the rest of the answer only
 * after {@code timeoutMs}: a server that stalls mid-answer, which a client's header timeout does not catch), {@code tooLong} rate (a 400 {@code context_length_exceeded}, as a server answers a prompt past its
 * context window: the request's fault, not the server's), {@code seed}: the fault draws of these settings follow one random sequence from
 * this seed, so a run injects the same faults in the same order of requests (unset: unseeded). Settings only: the
 * server keeps the {@code ratelimitFirst} count and the sequence of the faults it applies ({@link ActiveFaults}), and
 * starts both again when faults are posted; in a header, each request starts them again.
 */
public final class Faults {

    public long latencyMs;
    public long jitterMs;
    public double errorRate;
    public double timeoutRate;
    public long timeoutMs = 30_000;
    public double rateLimitRate;
    public int rateLimitFirst;
    public int retryAfterSeconds = 1;
    public double runawayRate;
    public double stallRate;
    public double tooLongRate;
    public Long seed;

    public Faults() {}

    public static Faults parse(String spec) {
        Faults f = new Faults();
        if (spec == null || spec.isBlank()) {
            return f;
        }
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("Fault setting must be key=value: " + part);
            }
            String v = kv[1].trim();
            switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
                case "latency": f.latencyMs = Long.parseLong(v); break;
                case "jitter": f.jitterMs = Long.parseLong(v); break;
                case "error": f.errorRate = Double.parseDouble(v); break;
                case "timeout": f.timeoutRate = Double.parseDouble(v); break;
                case "timeoutms": f.timeoutMs = Long.parseLong(v); break;
                case "ratelimit": f.rateLimitRate = Double.parseDouble(v); break;
                case "ratelimitfirst": f.rateLimitFirst = Integer.parseInt(v); break;
                case "retryafter": f.retryAfterSeconds = Integer.parseInt(v); break;
                case "runaway": f.runawayRate = Double.parseDouble(v); break;
                case "stall": f.stallRate = Double.parseDouble(v); break;
                case "toolong": f.tooLongRate = Double.parseDouble(v); break;
                case "seed": f.seed = Long.parseLong(v); break;
                default: throw new IllegalArgumentException("Unknown fault setting: " + kv[0]);
            }
        }
        return f;
    }

    @Override
    public String toString() {
        return "latency=" + latencyMs + ",jitter=" + jitterMs + ",error=" + errorRate + ",timeout=" + timeoutRate
                + ",timeoutMs=" + timeoutMs + ",ratelimit=" + rateLimitRate + ",ratelimitFirst=" + rateLimitFirst
                 + ",retryAfter=" + retryAfterSeconds + ",runaway=" + runawayRate + ",stall=" + stallRate + ",tooLong=" + tooLongRate + (seed == null ? "" : ",seed=" + seed);
    }
}
