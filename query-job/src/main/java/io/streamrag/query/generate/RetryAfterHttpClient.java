package io.streamrag.query.generate;

import io.streamrag.common.net.JdkHttpClients;

import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * A langchain4j {@link HttpClient} over the JDK client that, unlike the stock one, keeps the {@code Retry-After}
 * header of failed responses (in {@link RetryAfterHttpException}) and bounds each request by the calling thread's
 * deadline ({@link #withDeadline}): request timeout = min(read timeout, time left), which the {@link JdkHttpClients}
 * client holds the whole exchange to, body included. Streaming is not used by the job.
 */
public class RetryAfterHttpClient implements HttpClient {

    /** The question deadline of the call running on this thread (epoch ms), if any. */
    private static final ThreadLocal<Long> DEADLINE = new ThreadLocal<>();

    /** Headers the JDK client sets itself and refuses from callers. */
    private static final Set<String> RESTRICTED = Set.of("content-length", "host", "connection", "expect", "upgrade");

    private final java.net.http.HttpClient delegate;
    private final Duration readTimeout;

    /** A client on a JDK client built by {@code clients}, which closes it. */
    RetryAfterHttpClient(JdkHttpClients clients, Duration connectTimeout, Duration readTimeout) {
        java.net.http.HttpClient.Builder b = clients.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1);
        if (connectTimeout != null) {
            b.connectTimeout(connectTimeout);
        }
        this.delegate = b.build();
        this.readTimeout = readTimeout;
    }

    @Override
    public SuccessfulHttpResponse execute(HttpRequest request) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(URI.create(request.url()));
        request.headers().forEach((k, values) -> {
            if (!RESTRICTED.contains(k.toLowerCase())) {
                values.forEach(v -> b.header(k, v));
            }
        });
        Duration timeout = boundedByDeadline(readTimeout);
        if (timeout != null) {
            b.timeout(timeout);
        }
        String body = request.body();
        b.method(request.method().name(), body == null
                ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        HttpResponse<byte[]> r;
        try {
            r = delegate.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new TimeoutException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        if (r.statusCode() < 200 || r.statusCode() >= 300) {
            long retryAfter = r.headers().firstValue("Retry-After").map(RetryAfterHttpClient::parseRetryAfter).orElse(-1L);
            throw new RetryAfterHttpException(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), retryAfter);
        }
        return SuccessfulHttpResponse.builder()
                .statusCode(r.statusCode())
                .headers(r.headers().map())
                .body(r.body())
                .build();
    }

    @Override
    public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
        throw new UnsupportedOperationException("Streaming is not used by the query job");
    }

    /**
     * {@code timeout} (null: none) cut to the time left before the deadline of the call running on this thread (see
     * {@link #withDeadline}), if any; a timeout at once if that deadline has passed.
     */
    static Duration boundedByDeadline(Duration timeout) {
        Long deadline = DEADLINE.get();
        if (deadline == null) {
            return timeout;
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
            throw new TimeoutException(new HttpTimeoutException("deadline passed before the request"));
        }
        return timeout == null || timeout.toMillis() > left ? Duration.ofMillis(left) : timeout;
    }

    /** Runs {@code call} with HTTP requests on this thread bounded by {@code deadlineAtMs}. */
    static <T> T withDeadline(long deadlineAtMs, java.util.function.Supplier<T> call) {
        Long previous = DEADLINE.get();
        DEADLINE.set(deadlineAtMs);
        try {
            return call.get();
        } finally {
            if (previous == null) {
                DEADLINE.remove();
            } else {
                DEADLINE.set(previous);
            }
        }
    }

    /**
     * Longest Retry-After taken as given, far past any question's deadline (which is 1 h at most): "Infinity" or "1e16" became
     * about Long.MAX_VALUE, which overflowed the sums it went into.
     */
    static final long MAX_RETRY_AFTER_MS = Duration.ofDays(1).toMillis();

    /** Seconds or an HTTP date, in milliseconds (at most {@link #MAX_RETRY_AFTER_MS}); -1 when unparseable. */
    static long parseRetryAfter(String value) {
        String v = value.strip();
        try {
            double seconds = Double.parseDouble(v);
            if (Double.isNaN(seconds)) {
                return -1;
            }
            return (long) Math.min(MAX_RETRY_AFTER_MS, Math.max(0, seconds * 1000));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at.toInstant().toEpochMilli() - System.currentTimeMillis()));
            } catch (RuntimeException ignored) {
                return -1;
            }
        }
    }

    /** Builder handed to the langchain4j model builders; its clients are closed by the {@link JdkHttpClients} it is given. */
    public static class Builder implements HttpClientBuilder {
        private final JdkHttpClients clients;
        private Duration connectTimeout;
        private Duration readTimeout;

        public Builder(JdkHttpClients clients) {
            this.clients = clients;
        }

        @Override
        public Duration connectTimeout() {
            return connectTimeout;
        }

        @Override
        public HttpClientBuilder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        @Override
        public Duration readTimeout() {
            return readTimeout;
        }

        @Override
        public HttpClientBuilder readTimeout(Duration timeout) {
            this.readTimeout = timeout;
            return this;
        }

        @Override
        public HttpClient build() {
            return new RetryAfterHttpClient(clients, connectTimeout, readTimeout);
        }
    }
}
