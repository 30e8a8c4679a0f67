package io.streamrag.common.net;

import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.jdk.JdkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.function.Supplier;

/**
 * The JDK HTTP clients ({@code java.net.http}) one operator builds, closed with it. Java 17's client has no
 * {@code close()}: each one keeps a selector thread, an epoll and an eventfd descriptor, its connections and its worker
 * threads until the garbage collector happens to collect it, so every failover (which re-opens the operators in the
 * same TaskManager) left them behind and a TaskManager piled them up between collections (20 re-opens of the fetch
 * operator: 20 selector threads, 42 worker threads, 80 descriptors). Build clients through {@link #newBuilder()} or
 * {@link #langchain4j()} and {@link #close()} this in the operator's {@code close()}.
 *
 * <p>The clients handed out fail fast once closed: a request sent after the close (a retry, a read still queued on a
 * pool the TaskManager's other subtasks share) gets an {@link IOException}, and one waiting for its response when the
 * close comes gets it at once too. A stopped Java 17 client would instead leave a synchronous {@code send} waiting for
 * good, its own timeout included (the stopped selector thread is what fires timeouts). Thread-safe.
 */
public final class JdkHttpClients implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JdkHttpClients.class);

    /**
     * Most bytes of one response body a client takes; more fails the request with an {@link IOException}. Model and
     * embedding answers stay far below it (32 embeddings of 3,072 dimensions are ~2 MB of JSON); a server that ignores
     * its token limit, or is not the server it should be, filled the heap instead, and the replayed question or
     * document did it again after every restore.
     */
    public static final long MAX_RESPONSE_BYTES = 32L << 20;

    private final List<Closable> clients = new ArrayList<>();
    private boolean closed;

    /** A builder of JDK clients that this closes. */
    public HttpClient.Builder newBuilder() {
        return new Recording(HttpClient.newBuilder());
    }

    /** A langchain4j HTTP client builder (its JDK client, langchain4j's default) whose clients this closes. */
    public HttpClientBuilder langchain4j() {
        return JdkHttpClient.builder().httpClientBuilder(newBuilder());
    }

    private HttpClient add(HttpClient built) {
        Closable client = new Closable(built);
        synchronized (this) {
            if (!closed) {
                clients.add(client);
                return client;
            }
        }
        client.close(); // built after the owner closed (a late lazy build): never left running
        return client;
    }

    /** Closes every client built so far, and any built later, at once: their requests fail, their threads end. */
    @Override
    public void close() {
        List<Closable> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(clients);
            clients.clear();
        }
        toClose.forEach(Closable::close);
    }

    /**
     * Stops {@code client} now: its connections, its selector and, with the default executor, its worker threads.
     * Java 21 has {@code shutdownNow()}. Java 17 has no way but one: the client's selector thread, named after the
     * client's id (which its {@code toString()} ends with, for the JDK's own tests), ends the client when interrupted,
     * as it does once it finds the client collected. A client it cannot stop is left to the garbage collector, as before.
     */
    private static void stop(HttpClient client) {
        try {
            Method shutdownNow = HttpClient.class.getMethod("shutdownNow"); // Java 21+
            shutdownNow.invoke(client);
            return;
        } catch (NoSuchMethodException e) {
            // Java 17: below
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Closing the HTTP client {} failed: {}", client, e.toString());
            return;
        }
        String text = client.toString();
        int open = text.lastIndexOf('(');
        if (open < 0 || !text.endsWith(")")) {
            LOG.debug("Cannot tell the selector thread of the HTTP client {}: left to the garbage collector", text);
            return;
        }
        String selector = "HttpClient-" + text.substring(open + 1, text.length() - 1) + "-SelectorManager";
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 64];
        int n = root.enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            if (threads[i].getName().equals(selector)) {
                threads[i].interrupt();
                return;
            }
        }
    }

    /**
     * A JDK client that refuses requests once closed and fails those still waiting. A synchronous send goes through the
     * JDK's own {@code send} (its threading and errors unchanged while open: the retries of the chat endpoints tell a
     * connection the JDK closed under a call by its message) and is interrupted by the close; an asynchronous one is
     * registered under the same lock the close takes and failed by it.
     */
    private static final class Closable extends HttpClient {
        private final HttpClient delegate;
        private final Set<CompletableFuture<?>> pending = new HashSet<>();
        /** Threads in a synchronous send, and those of them the close interrupted. */
        private final Set<Thread> sending = new HashSet<>();
        private final Set<Thread> interruptedByClose = new HashSet<>();
        private boolean closed;

        Closable(HttpClient delegate) {
            this.delegate = delegate;
        }

        void close() {
            List<CompletableFuture<?>> waiting;
            synchronized (this) {
                closed = true;
                waiting = new ArrayList<>(pending);
                pending.clear();
                for (Thread t : sending) {
                    interruptedByClose.add(t);
                    t.interrupt(); // the JDK's send cancels its exchange and returns
                }
            }
            for (CompletableFuture<?> f : waiting) {
                f.completeExceptionally(closedError()); // its waiter goes on; cancelling the JDK's own future aborts it
            }
            stop(delegate);
        }

        private static IOException closedError() {
            return new IOException("HTTP client closed (its operator closed)");
        }

        private <T> CompletableFuture<HttpResponse<T>> register(Supplier<CompletableFuture<HttpResponse<T>>> send) {
            CompletableFuture<HttpResponse<T>> request;
            CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
            synchronized (this) {
                if (closed) {
                    result.completeExceptionally(closedError());
                    return result;
                }
                request = send.get();
                pending.add(result);
            }
            request.whenComplete((response, error) -> {
                synchronized (this) {
                    pending.remove(result);
                }
                if (error != null) {
                    result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error);
                } else {
                    result.complete(response);
                }
            });
            result.whenComplete((response, error) -> {
                if (error != null) {
                    request.cancel(true); // closed or given up by the caller: the exchange ends too
                }
            });
            return result;
        }

        @Override
        public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
                throws IOException, InterruptedException {
            Thread me = Thread.currentThread();
            synchronized (this) {
                if (closed) {
                    throw closedError();
                }
                sending.add(me);
            }
            boolean closedUnderIt = false;
            try {
                return delegate.send(request, capped(handler));
            } catch (InterruptedException e) {
                synchronized (this) {
                    closedUnderIt = interruptedByClose.contains(me);
                }
                if (closedUnderIt) {
                    throw closedError();
                }
                throw e;
            } finally {
                synchronized (this) {
                    sending.remove(me);
                    closedUnderIt = interruptedByClose.remove(me);
                }
                if (closedUnderIt) {
                    Thread.interrupted(); // the close's interrupt, not the caller's: not left on its thread
                }
            }
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            return register(() -> delegate.sendAsync(request, capped(handler)));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                                HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
            return register(() -> delegate.sendAsync(request, capped(handler), pushPromiseHandler));
        }

        @Override
        public Optional<CookieHandler> cookieHandler() {
            return delegate.cookieHandler();
        }

        @Override
        public Optional<Duration> connectTimeout() {
            return delegate.connectTimeout();
        }

        @Override
        public Redirect followRedirects() {
            return delegate.followRedirects();
        }

        @Override
        public Optional<ProxySelector> proxy() {
            return delegate.proxy();
        }

        @Override
        public SSLContext sslContext() {
            return delegate.sslContext();
        }

        @Override
        public SSLParameters sslParameters() {
            return delegate.sslParameters();
        }

        @Override
        public Optional<Authenticator> authenticator() {
            return delegate.authenticator();
        }

        @Override
        public Version version() {
            return delegate.version();
        }

        @Override
        public Optional<Executor> executor() {
            return delegate.executor();
        }

        @Override
        public WebSocket.Builder newWebSocketBuilder() {
            return delegate.newWebSocketBuilder();
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }

    /** {@code handler} with the body cut off, and the request failed, past {@link #MAX_RESPONSE_BYTES}. */
    static <T> HttpResponse.BodyHandler<T> capped(HttpResponse.BodyHandler<T> handler) {
        return info -> new CappedBody<>(handler.apply(info), MAX_RESPONSE_BYTES);
    }

    /** Passes a body on to {@code delegate} until it passes {@code maxBytes}; then cancels it and fails the response. */
    static final class CappedBody<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> delegate;
        private final long maxBytes;
        private Flow.Subscription subscription;
        private long total;
        private boolean cut;

        CappedBody(HttpResponse.BodySubscriber<T> delegate, long maxBytes) {
            this.delegate = delegate;
            this.maxBytes = maxBytes;
        }

        @Override
        public CompletionStage<T> getBody() {
            return delegate.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            delegate.onSubscribe(s);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (cut) {
                return;
            }
            for (ByteBuffer b : items) {
                total += b.remaining();
            }
            if (total > maxBytes) {
                cut = true;
                subscription.cancel();
                delegate.onError(new IOException("Response body larger than " + maxBytes + " bytes: cut off"));
                return;
            }
            delegate.onNext(items);
        }

        @Override
        public void onError(Throwable error) {
            if (!cut) {
                delegate.onError(error);
            }
        }

        @Override
        public void onComplete() {
            if (!cut) {
                delegate.onComplete();
            }
        }
    }

    /** A JDK client builder that hands each client it builds to this registry. */
    private final class Recording implements HttpClient.Builder {
        private final HttpClient.Builder delegate;

        Recording(HttpClient.Builder delegate) {
            this.delegate = delegate;
        }

        @Override
        public HttpClient.Builder cookieHandler(CookieHandler cookieHandler) {
            delegate.cookieHandler(cookieHandler);
            return this;
        }

        @Override
        public HttpClient.Builder connectTimeout(Duration duration) {
            delegate.connectTimeout(duration);
            return this;
        }

        @Override
        public HttpClient.Builder sslContext(SSLContext sslContext) {
            delegate.sslContext(sslContext);
            return this;
        }

        @Override
        public HttpClient.Builder sslParameters(SSLParameters sslParameters) {
            delegate.sslParameters(sslParameters);
            return this;
        }

        @Override
        public HttpClient.Builder executor(Executor executor) {
            delegate.executor(executor);
            return this;
        }

        @Override
        public HttpClient.Builder followRedirects(HttpClient.Redirect policy) {
            delegate.followRedirects(policy);
            return this;
        }

        @Override
        public HttpClient.Builder version(HttpClient.Version version) {
            delegate.version(version);
            return this;
        }

        @Override
        public HttpClient.Builder priority(int priority) {
            delegate.priority(priority);
            return this;
        }

        @Override
        public HttpClient.Builder proxy(ProxySelector proxySelector) {
            delegate.proxy(proxySelector);
            return this;
        }

        @Override
        public HttpClient.Builder authenticator(Authenticator authenticator) {
            delegate.authenticator(authenticator);
            return this;
        }

        @Override
        public HttpClient build() {
            return add(delegate.build());
        }
    }
}
