package io.streamrag.query.generate;

import io.streamrag.common.security.Secrets;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One model endpoint from {@code query.endpoints}:
 * {@code name=provider,baseUrl,model[,maxConcurrency[,weight[,timeoutMs[,apiKeyEnv[,maxChoices]]]]]}
 * followed by optional named fields, e.g. {@code rps=5} (requests per second, for hosted APIs) or {@code maxChoices=8}.
 */
public class EndpointSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public String name;
    /** How an endpoint is spoken to, written in lower case in {@code query.endpoints}. */
    public enum Provider {
        /** Any OpenAI-compatible server. */
        OPENAI,
        OLLAMA,
        /** IBM watsonx.ai. */
        WATSONX
    }

    public Provider provider;
    public String baseUrl;
    public String model;
    public int maxConcurrency = 4;
    public double weight = 1.0;
    public long timeoutMs = 60_000;
    public String apiKeyEnv;
    /** Requests per second this endpoint accepts (per TaskManager); 0 = no limit. */
    public double rps;

    /**
     * Samples one request may ask for with OpenAI's {@code n} (openai provider only; vLLM and the local server
     * take it): above 1, the candidates of a single-call strategy share one request. 1 = one request per sample.
     */
    public int maxChoices = 1;

    public EndpointSpec() {}

    public static List<EndpointSpec> parseAll(String value) {
        List<EndpointSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String part : value.split(";")) {
            if (!part.isBlank()) {
                EndpointSpec e = parse(part.strip());
                // The generator keeps endpoints by name: a second one replaced the first, whose TaskManager-wide pool
                // was then never given back (one more at every restart).
                if (!names.add(e.name)) {
                    throw new IllegalArgumentException("query.endpoints names endpoint '" + e.name + "' twice; each "
                            + "endpoint needs a name of its own");
                }
                out.add(e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("query.endpoints lists no endpoint");
        }
        return out;
    }

    private static final java.util.regex.Pattern NAMED_FIELD = java.util.regex.Pattern.compile("(rps|maxChoices)=.*");

    public static EndpointSpec parse(String value) {
        refuseCredentials(value);
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("Endpoint must be name=provider,baseUrl,model[,...]: " + value);
        }
        List<String> positional = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (String field : value.substring(eq + 1).split(",")) {
            // Named fields are known keys only: a baseUrl may carry "=" in its query (watsonx: ?project_id=...).
            (NAMED_FIELD.matcher(field.strip()).matches() ? named : positional).add(field);
        }
        String[] f = positional.toArray(new String[0]);
        if (f.length < 3) {
            throw new IllegalArgumentException("Endpoint needs provider, baseUrl and model: " + value);
        }
        EndpointSpec e = new EndpointSpec();
        e.name = value.substring(0, eq).strip();
        String provider = f[0].strip().toLowerCase(Locale.ROOT);
        e.provider = Arrays.stream(Provider.values()).filter(p -> p.name().toLowerCase(Locale.ROOT).equals(provider))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("Unknown provider '" + provider
                        + "' (openai, ollama or watsonx): " + value));
        e.baseUrl = f[1].strip();
        e.model = f[2].strip();
        if (f.length > 3 && !f[3].isBlank()) {
            e.maxConcurrency = (int) whole(e.name, "maxConcurrency", f[3], Integer.MAX_VALUE);
        }
        if (f.length > 4 && !f[4].isBlank()) {
            e.weight = number(e.name, "weight", f[4]);
        }
        if (f.length > 5 && !f[5].isBlank()) {
            e.timeoutMs = whole(e.name, "timeoutMs", f[5], Long.MAX_VALUE);
        }
        if (f.length > 6 && !f[6].isBlank()) {
            e.apiKeyEnv = f[6].strip();
        }
        if (f.length > 7 && !f[7].isBlank()) {
            e.maxChoices = (int) whole(e.name, "maxChoices", f[7], Integer.MAX_VALUE);
        }
        for (String field : named) {
            String[] kv = field.split("=", 2);
            switch (kv[0].strip()) {
                case "rps":
                    e.rps = number(e.name, "rps", kv[1]);
                    break;
                case "maxChoices":
                    e.maxChoices = (int) whole(e.name, "maxChoices", kv[1], Integer.MAX_VALUE);
                    break;
                default:
                    throw new IllegalArgumentException("Unknown endpoint field '" + kv[0].strip() + "' (rps, maxChoices): " + value);
            }
        }
        atLeastOne(e.name, "maxConcurrency", e.maxConcurrency);
        atLeastOne(e.name, "timeoutMs", e.timeoutMs);
        atLeastOne(e.name, "maxChoices", e.maxChoices);
        // Written so that NaN fails too (NaN <= 0 is false); an infinite weight made every vote weight NaN.
        if (!(e.weight > 0) || Double.isInfinite(e.weight)) {
            throw new IllegalArgumentException("Endpoint '" + e.name + "': weight must be a positive number, was " + e.weight);
        }
        if (!(e.rps >= 0) || Double.isInfinite(e.rps)) {
            throw new IllegalArgumentException("Endpoint '" + e.name + "': rps must be 0 (no limit) or a positive number, was "
                    + e.rps);
        }
        if (e.maxChoices > 1 && e.provider != Provider.OPENAI) {
            throw new IllegalArgumentException("maxChoices (OpenAI's n) needs the openai provider: " + value);
        }
        return e;
    }

    /** A whole-number field of endpoint {@code name}, at most {@code max}; an error naming both when it is none. */
    private static long whole(String name, String field, String text, long max) {
        long v;
        try {
            v = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Endpoint '" + name + "': " + field + " must be a whole number, was '"
                    + text.strip() + "'");
        }
        if (v > max) {
            throw new IllegalArgumentException("Endpoint '" + name + "': " + field + " must be at most " + max + ", was " + v);
        }
        return v;
    }

    /** A decimal field of endpoint {@code name}; an error naming both when it is none. */
    private static double number(String name, String field, String text) {
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Endpoint '" + name + "': " + field + " must be a number, was '"
                    + text.strip() + "'");
        }
    }

    private static void atLeastOne(String name, String field, long value) {
        if (value < 1) {
            throw new IllegalArgumentException("Endpoint '" + name + "': " + field + " must be at least 1, was " + value);
        }
    }

    /**
     * Refuses a baseUrl with credentials (user:key@host, ?api_key=...), naming neither: endpoint specs are job
     * arguments, which the Flink dashboard and REST API show to anyone who can read them. Keys go in the environment
     * variable the spec names.
     */
    private static void refuseCredentials(String value) {
        for (String field : value.split(",")) {
            // A path segment may start with '@' (model ids such as @cf/meta/... in hosted APIs' paths); any other '@'
            // is taken for credentials (see Secrets.carriesCredentials).
            if (field.contains("://") && Secrets.carriesCredentials(field.strip().replace("/@", "/"))) {
                String name = value.indexOf('=') > 0 ? value.substring(0, value.indexOf('=')).strip() : "?";
                throw new IllegalArgumentException("Endpoint '" + name + "': its baseUrl may not carry credentials "
                        + "(user info or a key parameter); put the key in the environment variable the spec names (apiKeyEnv)");
            }
        }
    }

    public static double maxWeight(List<EndpointSpec> specs) {
        return specs.stream().mapToDouble(s -> s.weight).max().orElse(1.0);
    }
}
