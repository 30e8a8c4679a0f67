package io.streamrag.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A Flink REST API on a loopback port for tests: answers per "METHOD /path" and records every request with its body. */
public final class FakeFlinkRest implements AutoCloseable {

    /** One request received. */
    public record Request(String method, String path, String body) {}

    private final HttpServer server;
    private final Map<String, Function<Request, String>> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    public final List<Request> requests = new CopyOnWriteArrayList<>();

    public FakeFlinkRest() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Answers {@code method path} (the path without its query) with the JSON {@code answer} gives. */
    public FakeFlinkRest on(String method, String path, Function<Request, String> answer) {
        routes.put(method + " " + path, answer);
        return this;
    }

    public FakeFlinkRest on(String method, String path, String json) {
        return on(method, path, r -> json);
    }

    /** Answers the next {@code times} calls of {@code method path} with 503, as a busy JobManager does; then as before. */
    public FakeFlinkRest failNext(String method, String path, int times) {
        failures.computeIfAbsent(method + " " + path, k -> new AtomicInteger()).set(times);
        return this;
    }

    public FlinkRest client() {
        return new FlinkRest("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Request r = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(r);
            Function<Request, String> route = routes.get(r.method() + " " + r.path());
            AtomicInteger failing = failures.get(r.method() + " " + r.path());
            boolean fail = failing != null && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            byte[] body = (fail ? "{\"errors\":[\"Service temporarily unavailable\"]}"
                    : route == null ? "{\"errors\":[\"Not found: " + r.path() + "\"]}" : route.apply(r)).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(fail ? 503 : route == null ? 404 : 200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
