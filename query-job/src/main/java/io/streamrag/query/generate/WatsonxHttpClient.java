package io.streamrag.query.generate;

import io.streamrag.common.net.ForwardingHttpClient;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The JDK client handed to the watsonx.ai SDK: bounds each request by the question's deadline as
 * {@link RetryAfterHttpClient} does (timeout = min(the SDK's, time left)), and fails a 429 or 5xx with a
 * {@link RetryAfterHttpException} (Retry-After kept) before the SDK sees it, so its own retries, which only take its own
 * exceptions and sleep in the endpoint's request slot, never start: {@link ChatEndpoint}'s retries are the only ones.
 */
final class WatsonxHttpClient extends ForwardingHttpClient {

    /** Most characters of an error body kept in the exception. */
    private static final int MAX_ERROR_BODY = 4096;

    private final Duration timeout;

    /** Over {@code delegate} (which its endpoint closes); {@code timeout} for requests that set none. */
    WatsonxHttpClient(HttpClient delegate, Duration timeout) {
        super(delegate);
        this.timeout = timeout;
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return answered(delegate.send(bounded(request), handler));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return delegate.sendAsync(bounded(request), handler).thenApply(WatsonxHttpClient::answered);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        return delegate.sendAsync(bounded(request), handler, push).thenApply(WatsonxHttpClient::answered);
    }

    /** {@code request} with its timeout cut to the time left before the calling thread's deadline. */
    private HttpRequest bounded(HttpRequest request) {
        Optional<Duration> own = request.timeout();
        Duration t = RetryAfterHttpClient.boundedByDeadline(own.orElse(timeout));
        if (t == null || own.isPresent() && own.get().equals(t)) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(t).build();
    }

    /** The response, unless a 429 or 5xx: then the failure {@link ChatEndpoint} retries (honouring Retry-After). */
    private static <T> HttpResponse<T> answered(HttpResponse<T> r) {
        int status = r.statusCode();
        if (status != 429 && status < 500) {
            return r;
        }
        long retryAfter = r.headers().firstValue("Retry-After").map(RetryAfterHttpClient::parseRetryAfter).orElse(-1L);
        throw new RetryAfterHttpException(status, text(r.body()), retryAfter);
    }

    private static String text(Object body) {
        String s;
        if (body instanceof byte[] b) {
            s = new String(b, StandardCharsets.UTF_8);
        } else if (body instanceof InputStream in) {
            try (in) {
                s = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
            } catch (IOException e) {
                s = "";
            }
        } else {
            s = String.valueOf(body);
        }
        return s.length() > MAX_ERROR_BODY ? s.substring(0, MAX_ERROR_BODY) : s;
    }
}
