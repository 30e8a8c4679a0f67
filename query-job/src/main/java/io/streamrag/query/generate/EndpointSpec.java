package io.streamrag.query.generate;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One model endpoint from {@code query.endpoints}: {@code name=provider,baseUrl,model[,maxConcurrency[,weight[,timeoutMs[,apiKeyEnv]]]]}
 * followed by optional named fields, e.g. {@code rps=5} (requests per second, for hosted APIs).
 */
public class EndpointSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    public String name;
    /** {@code openai} (any OpenAI-compatible server) or {@code ollama}. */
    public String provider;
    public String baseUrl;
    public String model;
    public int maxConcurrency = 4;
    public double weight = 1.0;
    public long timeoutMs = 60_000;
    public String apiKeyEnv;
    /** Requests per second this endpoint accepts (per TaskManager); 0 = no limit. */
    public double rps;

    public EndpointSpec() {}

    public static List<EndpointSpec> parseAll(String value) {
        List<EndpointSpec> out = new ArrayList<>();
        for (String part : value.split(";")) {
            if (!part.isBlank()) {
                out.add(parse(part.strip()));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("query.endpoints lists no endpoint");
        }
        return out;
    }

    public static EndpointSpec parse(String value) {
        int eq = value.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("Endpoint must be name=provider,baseUrl,model[,...]: " + value);
        }
        List<String> positional = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (String field : value.substring(eq + 1).split(",")) {
            (field.contains("=") ? named : positional).add(field);
        }
        String[] f = positional.toArray(new String[0]);
        if (f.length < 3) {
            throw new IllegalArgumentException("Endpoint needs provider, baseUrl and model: " + value);
        }
        EndpointSpec e = new EndpointSpec();
        e.name = value.substring(0, eq).strip();
        e.provider = f[0].strip().toLowerCase(Locale.ROOT);
        if (!e.provider.equals("openai") && !e.provider.equals("ollama")) {
            throw new IllegalArgumentException("Unknown provider '" + e.provider + "' (openai or ollama): " + value);
        }
        e.baseUrl = f[1].strip();
        e.model = f[2].strip();
        if (f.length > 3 && !f[3].isBlank()) {
            e.maxConcurrency = Integer.parseInt(f[3].strip());
        }
        if (f.length > 4 && !f[4].isBlank()) {
            e.weight = Double.parseDouble(f[4].strip());
        }
        if (f.length > 5 && !f[5].isBlank()) {
            e.timeoutMs = Long.parseLong(f[5].strip());
        }
        if (f.length > 6 && !f[6].isBlank()) {
            e.apiKeyEnv = f[6].strip();
        }
        for (String field : named) {
            String[] kv = field.split("=", 2);
            if (!"rps".equals(kv[0].strip())) {
                throw new IllegalArgumentException("Unknown endpoint field '" + kv[0].strip() + "' (rps): " + value);
            }
            e.rps = Double.parseDouble(kv[1].strip());
        }
        if (e.maxConcurrency < 1 || e.weight <= 0 || e.timeoutMs < 1 || e.rps < 0) {
            throw new IllegalArgumentException("maxConcurrency, weight and timeoutMs must be positive: " + value);
        }
        return e;
    }

    public static double maxWeight(List<EndpointSpec> specs) {
        return specs.stream().mapToDouble(s -> s.weight).max().orElse(1.0);
    }
}
