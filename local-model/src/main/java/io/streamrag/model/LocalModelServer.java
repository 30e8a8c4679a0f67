package io.streamrag.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An offline OpenAI-compatible endpoint ({@code /v1/models}, {@code /v1/chat/completions} with {@code n}) that also
 * speaks Ollama's {@code /api/chat} and watsonx.ai's {@code /ml/v1/text/chat}, serving the {@code extractive}
 * answerer, with configurable fault injection and request statistics ({@code /v1/stats}).
 */
public final class LocalModelServer implements AutoCloseable {

    public static final String MODEL = "extractive";
    public static final String FAULT_HEADER = "X-Fault";
    /** Where a runaway answer stops at the latest (1 GiB). */
    static final long RUNAWAY_MAX_BYTES = 1L << 30;
    /** Largest request body read (8 MiB; a chat request with its sources is tens of KiB): more is refused with 413. */
    static final int MAX_BODY_BYTES = 8 << 20;
    /** Most choices one request may ask for (OpenAI's own limit on {@code n}): each is answered in memory at once. */
    static final int MAX_CHOICES = 128;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        // The JDK server writes headers and body separately; with Nagle on, each response waits ~40 ms for the
        // client's delayed ACK. Must be set before the first HttpServer is created (read once per JVM).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        // A client that sends headers and then part of a body would otherwise hold a worker thread for ever, and a few
        // of them every thread (the JDK server has no read timeout unless asked). Seconds, from the request's arrival
        // to the end of its body (waiting for a free thread included), so the stall and runaway faults' long answers
        // are not cut.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "30");
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ScheduledExecutorService hung = Executors.newSingleThreadScheduledExecutor(daemon("local-model-hung"));
    private final ExtractiveAnswerer answerer = new ExtractiveAnswerer();
    /** The faults and their count and sequence, replaced as one (see {@link ActiveFaults}). */
    private volatile ActiveFaults faults;
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong chat = new AtomicLong();
    private final Map<Integer, AtomicLong> byStatus = new ConcurrentHashMap<>();
    /** Chat requests whose client hung up before the answer could be delivered (timed out or cancelled). */
    private final AtomicLong aborted = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();

    public LocalModelServer(String host, int port, Faults faults, int threads) throws IOException {
        this.faults = new ActiveFaults(faults == null ? new Faults() : faults);
        this.server = HttpServer.create(new InetSocketAddress(host, port), 256);
        this.executor = Executors.newFixedThreadPool(threads, daemon("local-model-http"));
        server.setExecutor(executor);
        server.createContext("/v1/models", guarded(this::models));
        server.createContext("/v1/chat/completions", guarded(this::chatCompletions));
        server.createContext("/api/chat", guarded(this::ollamaChat));
        server.createContext("/ml/v1/text/chat", guarded(this::watsonxChat));
        server.createContext("/v1/stats", guarded(this::stats));
        server.createContext("/admin/stats", guarded(this::stats));
        server.createContext("/admin/faults", guarded(this::setFaults));
        server.createContext("/admin/reset", guarded(ex -> {
            if (!"POST".equals(ex.getRequestMethod())) {
                send(ex, 405, error("POST only", "invalid_request_error"), null);
                return;
            }
            resetStats();
            send(ex, 200, MAPPER.createObjectNode().put("reset", true), null);
        }));
    }

    /**
     * {@code handler}, answering 500 and closing the exchange when it throws: an Error (out of memory) or an unexpected
     * exception would otherwise leave the exchange open and its client waiting until its own timeout. Rethrown after.
     */
    private HttpHandler guarded(HttpHandler handler) {
        return ex -> {
            try {
                handler.handle(ex);
            } catch (IOException | RuntimeException | Error e) {
                try {
                    if (ex.getResponseCode() == -1) { // nothing sent yet
                        record(500);
                        send(ex, 500, error("Server error: " + e, "server_error"), null);
                    }
                } catch (RuntimeException | Error ignored) {
                    // answering failed too (out of memory): closing is all that is left
                } finally {
                    ex.close();
                }
                throw e;
            }
        };
    }

    /** Thrown for a request body over {@link #MAX_BODY_BYTES}, declared or sent. */
    static final class BodyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLarge() {
            super("Request body over " + (MAX_BODY_BYTES >> 20) + " MiB");
        }
    }

    /** The request's body, read up to {@link #MAX_BODY_BYTES} (chunked bodies too); a larger one throws {@link BodyTooLarge}. */
    private static byte[] body(HttpExchange ex) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        try {
            if (declared != null && Long.parseLong(declared.trim()) > MAX_BODY_BYTES) {
                throw new BodyTooLarge(); // refused before reading any of it
            }
        } catch (NumberFormatException e) {
            // the server refuses a malformed length before any handler runs
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new BodyTooLarge();
            }
            return bytes;
        }
    }

    /** Threads named {@code name} that do not keep the JVM alive. */
    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Starts a server on {@code 127.0.0.1} and an ephemeral port (tests). */
    public static LocalModelServer startLocal(Faults faults) throws IOException {
        LocalModelServer s = new LocalModelServer("127.0.0.1", 0, faults, 64);
        s.start();
        return s;
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Applies {@code faults} from the next request on, with a {@code ratelimitFirst} count and seeded sequence of their own. */
    public void setFaults(Faults faults) {
        this.faults = new ActiveFaults(faults);
    }

    public void resetStats() {
        total.set(0);
        chat.set(0);
        byStatus.clear();
        faults.restartCount();
        aborted.set(0);
    }

    /** Chat requests whose client had hung up (timed out or aborted the request) when the answer was sent. */
    public long aborted() {
        return aborted.get();
    }

    /** Chat requests being served right now. */
    public long inFlight() {
        return inFlight.get();
    }

    /** The {@code /v1/stats} body. */
    public String statsJson() {
        try {
            return MAPPER.writeValueAsString(statsBody());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Requests to {@code /v1/chat/completions} answered with {@code status} so far. */
    public long count(int status) {
        AtomicLong c = byStatus.get(status);
        return c == null ? 0 : c.get();
    }

    public long chatRequests() {
        return chat.get();
    }

    @Override
    public void close() {
        server.stop(0);
        hung.shutdownNow();
        executor.shutdownNow();
    }

    private void models(HttpExchange ex) throws IOException {
        ObjectNode body = MAPPER.createObjectNode().put("object", "list");
        body.putArray("data").addObject().put("id", MODEL).put("object", "model").put("owned_by", "streamrag");
        send(ex, 200, body, null);
    }

    private void stats(HttpExchange ex) throws IOException {
        send(ex, 200, statsBody(), null);
    }

    private ObjectNode statsBody() {
        ObjectNode body = MAPPER.createObjectNode().put("total", total.get()).put("chatCompletions", chat.get())
                .put("inFlight", inFlight.get()).put("aborted", aborted.get());
        ObjectNode statuses = body.putObject("byStatus");
        new TreeMap<>(byStatus).forEach((k, v) -> statuses.put(String.valueOf(k), v.get()));
        body.put("faults", faults.faults.toString());
        return body;
    }

    /** {@code POST /admin/faults} replaces the faults with its body's spec; {@code GET} shows them (and changes nothing). */
    private void setFaults(HttpExchange ex) throws IOException {
        if ("GET".equals(ex.getRequestMethod())) {
            send(ex, 200, MAPPER.createObjectNode().put("faults", faults.faults.toString()), null);
            return;
        }
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, 405, error("GET or POST only", "invalid_request_error"), null);
            return;
        }
        try {
            setFaults(Faults.parse(new String(body(ex), StandardCharsets.UTF_8).trim()));
            send(ex, 200, MAPPER.createObjectNode().put("faults", faults.faults.toString()), null);
        } catch (BodyTooLarge e) {
            send(ex, 413, error(e.getMessage(), "invalid_request_error"), null);
        } catch (IllegalArgumentException e) {
            send(ex, 400, error(e.getMessage(), "invalid_request_error"), null);
        }
    }

    private void chatCompletions(HttpExchange ex) throws IOException {
        inFlight.incrementAndGet();
        try {
            chatCompletion(ex);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Sends a chat answer; counts it as aborted when the client has already hung up. */
    private void reply(HttpExchange ex, int status, JsonNode body, String retryAfter) {
        if (!send(ex, status, body, retryAfter)) {
            aborted.incrementAndGet();
        }
    }

    private void chatCompletion(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            reply(ex, 405, error("POST only", "invalid_request_error"), null);
            return;
        }
        chat.incrementAndGet();
        JsonNode request;
        ActiveFaults active;
        try {
            request = MAPPER.readTree(body(ex));
            String header = ex.getRequestHeaders().getFirst(FAULT_HEADER);
            // A header's faults are the request's own: its count and sequence start again.
            active = header == null ? faults : new ActiveFaults(Faults.parse(header));
            if (request.path("n").asInt(1) > MAX_CHOICES) {
                throw new IllegalArgumentException("n is " + request.path("n").asInt() + ", at most " + MAX_CHOICES);
            }
        } catch (BodyTooLarge e) {
            record(413);
            reply(ex, 413, error(e.getMessage(), "invalid_request_error"), null);
            return;
        } catch (IOException | IllegalArgumentException e) {
            record(400);
            reply(ex, 400, error("Bad request: " + e.getMessage(), "invalid_request_error"), null);
            return;
        }
        Faults f = active.faults;
        ActiveFaults.Draw draw = active.chat();
        if (draw.fault() == ActiveFaults.Fault.RATE_LIMITED) {
            record(429);
            reply(ex, 429, error("Rate limit reached, retry later", "rate_limit_exceeded"),
                    String.valueOf(f.retryAfterSeconds));
            return;
        }
        if (draw.fault() == ActiveFaults.Fault.TOO_LONG) {
            record(400);
            reply(ex, 400, error("This model's maximum context length is exceeded by the messages: shorten them",
                    "invalid_request_error"), null);
            return;
        }
        sleep(draw.sleepMs());
        if (draw.fault() == ActiveFaults.Fault.ERROR) {
            record(500);
            reply(ex, 500, error("Injected server error", "server_error"), null);
            return;
        }
        if (draw.fault() == ActiveFaults.Fault.RUNAWAY) {
            runaway(ex);
            return;
        }
        if (draw.fault() == ActiveFaults.Fault.STALL) {
            stall(ex, request, f.timeoutMs);
            return;
        }
        if (draw.fault() == ActiveFaults.Fault.HANG) {
            // A hanging call answers only after timeoutMs (the client has given up by then) and holds no server
            // thread meanwhile, like a server that parks a stuck request: hangs must not starve the other requests.
            inFlight.incrementAndGet();
            hung.schedule(() -> executor.execute(() -> {
                try {
                    answer(ex, request);
                } finally {
                    inFlight.decrementAndGet();
                }
            }), f.timeoutMs, TimeUnit.MILLISECONDS);
            return;
        }
        answer(ex, request);
    }

    /**
     * A 200 whose JSON never ends: the start of a completion, then one long content string, written until the client
     * hangs up (at most {@link #RUNAWAY_MAX_BYTES}, so a client without a cap ends too, with a broken document).
     */
    private void runaway(HttpExchange ex) {
        record(200);
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                    .getBytes(StandardCharsets.UTF_8));
            byte[] words = "and so on ".repeat(6_554).getBytes(StandardCharsets.UTF_8); // 64 KiB
            for (long sent = 0; sent < RUNAWAY_MAX_BYTES; sent += words.length) {
                out.write(words);
            }
        } catch (IOException e) {
            // the client hung up: what it should do
        }
    }

    /** Bytes of a stalled answer sent before the stall: the headers and the start of the JSON. */
    static final int STALL_PREFIX_BYTES = 16;

    /**
     * A 200 that stalls mid-answer: the headers and the first {@value #STALL_PREFIX_BYTES} bytes of the answer now, the
     * rest after {@code stallMs} (counted aborted if that write fails: the client has hung up). Like a hanging call, it holds no
     * server thread meanwhile.
     */
    private void stall(HttpExchange ex, JsonNode request, long stallMs) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(complete(request));
        } catch (IOException | RuntimeException e) {
            record(500);
            reply(ex, 500, error("Answerer failed: " + e, "server_error"), null);
            return;
        }
        stall(ex, bytes, stallMs);
    }

    /** {@code bytes} as a 200 that stalls after its first {@value #STALL_PREFIX_BYTES} (the Ollama and watsonx paths: an answer-less body). */
    private void stall(HttpExchange ex, byte[] bytes, long stallMs) {
        record(200);
        int prefix = Math.min(STALL_PREFIX_BYTES, bytes.length - 1);
        OutputStream out;
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, bytes.length);
            out = ex.getResponseBody();
            out.write(bytes, 0, prefix);
            out.flush();
        } catch (IOException e) {
            aborted.incrementAndGet();
            ex.close();
            return;
        }
        inFlight.incrementAndGet();
        hung.schedule(() -> executor.execute(() -> {
            try (out) {
                out.write(bytes, prefix, bytes.length - prefix);
            } catch (IOException e) {
                aborted.incrementAndGet(); // the client hung up: what it should do
            } finally {
                ex.close();
                inFlight.decrementAndGet();
            }
        }), stallMs, TimeUnit.MILLISECONDS);
    }

    private void answer(HttpExchange ex, JsonNode request) {
        try {
            ObjectNode response = complete(request);
            record(200);
            reply(ex, 200, response, null);
        } catch (RuntimeException e) {
            record(500);
            reply(ex, 500, error("Answerer failed: " + e, "server_error"), null);
        }
    }

    /**
     * Ollama's {@code /api/chat}: {@code options.temperature}, {@code options.seed}, {@code options.num_predict};
     * one JSON object, or with {@code "stream": true} (Ollama's default) JSON lines, one per piece of the answer,
     * the last with {@code done: true} and the token counts. Of the faults only {@code runaway} applies here.
     */
    private void ollamaChat(HttpExchange ex) throws IOException {
        ErrorBody error = (status, code, message) -> MAPPER.createObjectNode().put("error", message);
        JsonNode request = posted(ex, error) ? jsonBody(ex, error) : null;
        if (request == null) {
            return;
        }
        JsonNode options = request.path("options");
        String prompt = promptOf(request);
        String[] answer = answerOrFail(ex, error, prompt, options.path("temperature").asDouble(0.8),
                options.path("seed").asLong(0), options.path("num_predict").asInt(0));
        if (answer == null) {
            return;
        }
        String model = request.path("model").asText(MODEL);
        ObjectNode last = ollamaMessage(model, answer[0]).put("done", true).put("done_reason", answer[1])
                .put("total_duration", 0).put("load_duration", 0)
                .put("prompt_eval_count", Tokens.count(prompt)).put("prompt_eval_duration", 0)
                .put("eval_count", Tokens.count(answer[0])).put("eval_duration", 0);
        if (!request.path("stream").asBoolean(true)) {
            send(ex, 200, last, null);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        try {
            ex.sendResponseHeaders(200, 0); // chunked
            try (OutputStream out = ex.getResponseBody()) {
                // Ollama streams the answer in pieces (tokens); words keep the spaces with the following piece.
                String[] words = answer[0].split("(?<= )");
                for (String w : words) {
                    out.write(MAPPER.writeValueAsBytes(ollamaMessage(model, w).put("done", false)));
                    out.write('\n');
                    out.flush();
                }
                last.putObject("message").put("role", "assistant").put("content", "");
                out.write(MAPPER.writeValueAsBytes(last));
                out.write('\n');
            }
        } catch (IOException e) {
            // The client hung up.
        } finally {
            ex.close();
        }
    }

    /**
     * watsonx.ai's {@code /ml/v1/text/chat?version=...}: needs a bearer token and a {@code project_id} or
     * {@code space_id}; {@code temperature}, {@code seed}, {@code max_completion_tokens} (or {@code max_tokens}).
     * Of the faults only {@code runaway} applies here.
     */
    private void watsonxChat(HttpExchange ex) throws IOException {
        ErrorBody error = LocalModelServer::watsonxError;
        if (!posted(ex, error)) {
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ")) {
            record(401);
            send(ex, 401, watsonxError(401, "authentication_token_not_valid", "Bearer token required"), null);
            return;
        }
        JsonNode request = jsonBody(ex, error);
        if (request == null) {
            return;
        }
        if (request.path("project_id").asText("").isEmpty() && request.path("space_id").asText("").isEmpty()) {
            record(400);
            send(ex, 400, watsonxError(400, "json_validation_error", "Either project_id or space_id is required"), null);
            return;
        }
        String prompt = promptOf(request);
        String[] answer = answerOrFail(ex, error, prompt, request.path("temperature").asDouble(1.0), request.path("seed").asLong(0),
                request.path("max_completion_tokens").asInt(request.path("max_tokens").asInt(0)));
        if (answer == null) {
            return;
        }
        String model = request.path("model_id").asText(request.path("model").asText(MODEL));
        ObjectNode body = MAPPER.createObjectNode().put("id", "chat-" + UUID.randomUUID()).put("model_id", model)
                .put("model", model).put("created", System.currentTimeMillis() / 1000).put("model_version", "1.0.0")
                .put("created_at", java.time.Instant.now().toString());
        ObjectNode choice = body.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", answer[0]);
        choice.put("finish_reason", answer[1]);
        int promptTokens = Tokens.count(prompt);
        int completionTokens = Tokens.count(answer[0]);
        body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        send(ex, 200, body, null);
    }

    /** How an API words an error body: HTTP status, its error code, the message. */
    @FunctionalInterface
    private interface ErrorBody {
        ObjectNode of(int status, String code, String message);
    }

    /** Whether the request is a POST (then counted as a chat request); otherwise a 405 in the API's wording is sent. */
    private boolean posted(HttpExchange ex, ErrorBody error) {
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, 405, error.of(405, "method_not_allowed", "POST only"), null);
            return false;
        }
        chat.incrementAndGet();
        return true;
    }

    /** The request's JSON body; null once a 400 (unreadable body) is sent in the API's wording. */
    private JsonNode jsonBody(HttpExchange ex, ErrorBody error) {
        try {
            return MAPPER.readTree(body(ex));
        } catch (BodyTooLarge e) {
            record(413);
            send(ex, 413, error.of(413, "request_too_large", e.getMessage()), null);
            return null;
        } catch (IOException e) {
            record(400);
            send(ex, 400, error.of(400, "json_validation_error", "Bad request: " + e.getMessage()), null);
            return null;
        }
    }

    /**
     * The answer (text, finish reason), counted as a 200; null once a 500 is sent in the API's wording, or a runaway
     * answer (the server's {@code runaway} fault, the one fault these APIs get too: their clients need the same cap).
     */
    private String[] answerOrFail(HttpExchange ex, ErrorBody error, String prompt, double temperature, long seed,
                                  int maxTokens) {
        ActiveFaults active = faults;
        ActiveFaults.Fault fault = active.otherApi();
        if (fault == ActiveFaults.Fault.RUNAWAY) {
            runaway(ex);
            return null;
        }
        if (fault == ActiveFaults.Fault.STALL) {
            stall(ex, "{\"id\":\"chat-stalled\"}".getBytes(StandardCharsets.UTF_8), active.faults.timeoutMs);
            return null;
        }
        try {
            String[] answer = answer(prompt, temperature, seed, maxTokens);
            record(200);
            return answer;
        } catch (RuntimeException e) {
            record(500);
            send(ex, 500, error.of(500, "internal_error", "Answerer failed: " + e), null);
            return null;
        }
    }

    private static ObjectNode watsonxError(int status, String code, String message) {
        ObjectNode body = MAPPER.createObjectNode().put("status_code", status).put("trace", UUID.randomUUID().toString());
        body.putArray("errors").addObject().put("code", code).put("message", message);
        return body;
    }

    private static ObjectNode ollamaMessage(String model, String content) {
        ObjectNode line = MAPPER.createObjectNode().put("model", model)
                .put("created_at", java.time.Instant.now().toString());
        line.putObject("message").put("role", "assistant").put("content", content);
        return line;
    }

    /**
     * Builds an OpenAI chat completion for {@code request} with {@code n} choices (OpenAI's {@code n}, default 1):
     * choice i is sampled with seed + i at the request's temperature; usage counts the prompt once.
     */
    ObjectNode complete(JsonNode request) {
        String prompt = promptOf(request);
        double temperature = request.path("temperature").asDouble(1.0);
        long seed = request.path("seed").asLong(0);
        int n = Math.max(1, request.path("n").asInt(1));
        int maxTokens = request.path("max_tokens").asInt(request.path("max_completion_tokens").asInt(0));
        ObjectNode body = MAPPER.createObjectNode()
                .put("id", "chatcmpl-" + UUID.randomUUID())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", request.path("model").asText(MODEL));
        ArrayNode choices = body.putArray("choices");
        int completionTokens = 0;
        for (int i = 0; i < n; i++) {
            String[] textAndFinish = answer(prompt, temperature, seed + i, maxTokens);
            completionTokens += Tokens.count(textAndFinish[0]);
            ObjectNode choice = choices.addObject().put("index", i);
            choice.putObject("message").put("role", "assistant").put("content", textAndFinish[0]);
            choice.put("finish_reason", textAndFinish[1]);
        }
        int promptTokens = Tokens.count(prompt);
        body.putObject("usage")
                .put("prompt_tokens", promptTokens)
                .put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return body;
    }

    /** The text of all messages, one per line (array contents: their text parts). */
    static String promptOf(JsonNode request) {
        StringBuilder prompt = new StringBuilder();
        for (JsonNode m : request.path("messages")) {
            JsonNode content = m.path("content");
            if (content.isArray()) {
                for (JsonNode part : content) {
                    prompt.append(part.path("text").asText("")).append('\n');
                }
            } else {
                prompt.append(content.asText("")).append('\n');
            }
        }
        return prompt.toString();
    }

    /** One sampled answer and its finish reason ({@code stop}, or {@code length} when cut at {@code maxTokens}). */
    String[] answer(String prompt, double temperature, long seed, int maxTokens) {
        String text = answerer.complete(prompt, temperature, seed);
        String finish = "stop";
        if (maxTokens > 0 && Tokens.count(text) > maxTokens) {
            // Truncate word by word until within budget, like a real model hitting max_tokens.
            String[] words = text.split(" ");
            StringBuilder sb = new StringBuilder();
            for (String w : words) {
                if (Tokens.count(sb + w) > maxTokens) {
                    break;
                }
                sb.append(w).append(' ');
            }
            text = sb.toString().trim();
            finish = "length";
        }
        return new String[] {text, finish};
    }

    private void record(int status) {
        total.incrementAndGet();
        byStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
    }

    private static ObjectNode error(String message, String type) {
        ObjectNode body = MAPPER.createObjectNode();
        body.putObject("error").put("message", message).put("type", type);
        return body;
    }

    /** Returns whether the answer reached the client (false when it had hung up). */
    private static boolean send(HttpExchange ex, int status, JsonNode body, String retryAfter) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) {
            ex.getResponseHeaders().set("Retry-After", retryAfter);
        }
        try {
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
            return true;
        } catch (IOException e) {
            return false; // the client hung up (it timed out or aborted the request): nothing to answer
        } finally {
            ex.close();
        }
    }

    private static void sleep(long ms) {
        if (ms <= 0) {
            return;
        }
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code java -jar streamrag-local-model.jar [--host H] [--port P] [--threads T] [--faults SPEC] [--latency-ms ...]}. */
    public static void main(String[] args) throws IOException {
        String host = "127.0.0.1";
        int port = 8090;
        int threads = 64;
        StringBuilder spec = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ("--help".equals(a) || "-h".equals(a)) {
                System.out.println("Usage: LocalModelServer [--host 127.0.0.1] [--port 8090] [--threads 64]\n"
                        + "  [--faults latency=MS,jitter=MS,error=RATE,timeout=RATE,timeoutMs=MS,ratelimit=RATE,"
                        + "ratelimitFirst=K,retryAfter=S,runaway=RATE,stall=RATE,tooLong=RATE]\n"
                        + "  [--latency-ms MS] [--jitter-ms MS] [--error-rate R] [--timeout-rate R] [--timeout-ms MS]\n"
                        + "  [--rate-limit-rate R] [--rate-limit-first K] [--retry-after S]\n"
                        + "A request header 'X-Fault: <spec>' overrides the faults for that request.");
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("Missing value for " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--host": host = v; break;
                case "--port": port = Integer.parseInt(v); break;
                case "--threads": threads = Integer.parseInt(v); break;
                case "--faults": append(spec, v); break;
                case "--latency-ms": append(spec, "latency=" + v); break;
                case "--jitter-ms": append(spec, "jitter=" + v); break;
                case "--error-rate": append(spec, "error=" + v); break;
                case "--timeout-rate": append(spec, "timeout=" + v); break;
                case "--timeout-ms": append(spec, "timeoutMs=" + v); break;
                case "--rate-limit-rate": append(spec, "ratelimit=" + v); break;
                case "--rate-limit-first": append(spec, "ratelimitFirst=" + v); break;
                case "--retry-after": append(spec, "retryAfter=" + v); break;
                default: throw new IllegalArgumentException("Unknown option " + a + " (try --help)");
            }
        }
        LocalModelServer s = new LocalModelServer(host, port, Faults.parse(spec.toString()), threads);
        s.start();
        System.out.println("Local model '" + MODEL + "' serving http://" + host + ":" + s.port() + "/v1 (faults: "
                + s.faults + ")");
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
    }

    private static void append(StringBuilder spec, String part) {
        if (spec.length() > 0) {
            spec.append(',');
        }
        spec.append(part);
    }
}
