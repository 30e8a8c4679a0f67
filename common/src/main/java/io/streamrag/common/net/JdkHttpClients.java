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
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
 * good, its own timeout included (the stopped selector thread is what fires timeouts).
 *
 * <p>A request's own timeout ({@link HttpRequest#timeout()}) bounds the whole exchange here, its body included: the
 * JDK's stops counting once the response headers have arrived, so a server that sent them and then stalled (or
 * trickled) held the call, its connection and the caller's thread for as long as it liked. Past the timeout, counted
 * from the send, the body is cut off (its connection closed) and the request fails with an
 * {@link HttpTimeoutException}, as a response that never started does. Thread-safe.
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

    /** How long the deadline timer's thread outlives its last pending deadline. */
    private static final long TIMER_IDLE_SECONDS = 10;

    private final List<Closable> clients = new ArrayList<>();
    private boolean closed;
    /**
     * Fires the body deadlines of this registry's requests; made with the first one, its thread ends when idle and the
     * whole timer with {@link #close()}.
     */
    private ScheduledThreadPoolExecutor timer;

    /** A builder of JDK clients that this closes. */
    public HttpClient.Builder newBuilder() {
        return new Recording(HttpClient.newBuilder());
    }

    /** A langchain4j HTTP client builder (its JDK client, langchain4j's default) whose clients this closes. */
    public HttpClientBuilder langchain4j() {
        return JdkHttpClient.builder().httpClientBuilder(newBuilder());
    }

    private HttpClient add(HttpClient built) {
        Closable client = new Closable(built, this::timer);
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
        ScheduledThreadPoolExecutor stopped;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(clients);
            clients.clear();
            stopped = timer;
        }
        toClose.forEach(Closable::close);
        if (stopped != null) {
            stopped.shutdownNow();
        }
    }

    /** The deadline timer; null once closed (the requests then fail anyway). */
    private synchronized ScheduledThreadPoolExecutor timer() {
        if (closed) {
            return null;
        }
        if (timer == null) {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "http-body-deadlines");
                thread.setDaemon(true);
                thread.setContextClassLoader(null); // holds no job class loader while it waits
                return thread;
            });
            t.setRemoveOnCancelPolicy(true); // a body that completed takes its deadline out of the queue at once
            t.setKeepAliveTime(TIMER_IDLE_SECONDS, TimeUnit.SECONDS);
            t.allowCoreThreadTimeOut(true);
            timer = t;
        }
        return timer;
    }

    /**
     * Stops {@code client} now: its connections, its selector and, with the default executor, its worker threads.
     * Java 21 has {@code shutdownNow()}. Java 17 has no way but one: the client's selector thread, named after the
     * client's id (which its {@code toString()} ends with, for the JDK's own tests), ends the client when interrupted,
     * as it does once it finds the client collected. A client it cannot stop is left to the garbage collector, as before.
     * Public for clients built elsewhere: a library's own (see the query job's watsonx models).
     */
    public static void stop(HttpClient client) {
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
    private static final class Closable extends ForwardingHttpClient {
        /** The registry's deadline timer (null once it closed). */
        private final Supplier<ScheduledThreadPoolExecutor> timer;
        private final Set<CompletableFuture<?>> pending = new HashSet<>();
        /** Threads in a synchronous send, and those of them the close interrupted. */
        private final Set<Thread> sending = new HashSet<>();
        private final Set<Thread> interruptedByClose = new HashSet<>();
        private boolean closed;

        Closable(HttpClient delegate, Supplier<ScheduledThreadPoolExecutor> timer) {
            super(delegate);
            this.timer = timer;
        }

        /** {@code handler} with the body capped and, if {@code request} has a timeout, bounded by it from now. */
        private <T> HttpResponse.BodyHandler<T> bounded(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
            Duration timeout = request.timeout().orElse(null);
            return timeout == null ? capped(handler)
                    : JdkHttpClients.bounded(handler, timeout, System.nanoTime() + timeout.toNanos(), timer);
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
                return delegate.send(request, bounded(request, handler));
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
            return register(() -> delegate.sendAsync(request, bounded(request, handler)));
        }

        @Override
        public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                                HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
            return register(() -> delegate.sendAsync(request, bounded(request, handler), pushPromiseHandler));
        }
    }

    /** {@code handler} with the body cut off, and the request failed, past {@link #MAX_RESPONSE_BYTES}. */
    static <T> HttpResponse.BodyHandler<T> capped(HttpResponse.BodyHandler<T> handler) {
        return info -> new BoundedBody<>(handler.apply(info), MAX_RESPONSE_BYTES, null, 0, null);
    }

    /**
     * {@code handler} cut off past {@link #MAX_RESPONSE_BYTES}, and past {@code deadlineNanos} ({@link System#nanoTime()};
     * the request's {@code timeout} from its send) on {@code timer} (null: none left, the body fails at once).
     */
    static <T> HttpResponse.BodyHandler<T> bounded(HttpResponse.BodyHandler<T> handler, Duration timeout,
                                                    long deadlineNanos, Supplier<ScheduledThreadPoolExecutor> timer) {
        return info -> new BoundedBody<>(handler.apply(info), MAX_RESPONSE_BYTES, timeout, deadlineNanos, timer);
    }

    /**
     * Passes a body on to {@code delegate} until it passes {@code maxBytes} or its deadline passes; then cancels it
     * (the JDK closes its connection: nothing else would free it while the server stalls) and fails the response. The
     * JDK calls {@code onNext}, {@code onError} and {@code onComplete} one at a time; the deadline fires on the timer's
     * thread, so each is taken under this subscriber's lock, and the delegate is told of the end once.
     */
    static final class BoundedBody<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> delegate;
        private final long maxBytes;
        /** The request's timeout, for the message; null: no deadline. */
        private final Duration timeout;
        private final long deadlineNanos;
        private final Supplier<ScheduledThreadPoolExecutor> timer;
        private Flow.Subscription subscription;
        private ScheduledFuture<?> expiry;
        private long total;
        /** Ended: cut off (size or deadline), completed or failed; nothing more reaches the delegate. */
        private boolean ended;

        BoundedBody(HttpResponse.BodySubscriber<T> delegate, long maxBytes, Duration timeout, long deadlineNanos,
                    Supplier<ScheduledThreadPoolExecutor> timer) {
            this.delegate = delegate;
            this.maxBytes = maxBytes;
            this.timeout = timeout;
            this.deadlineNanos = deadlineNanos;
            this.timer = timer;
        }

        @Override
        public CompletionStage<T> getBody() {
            return delegate.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s; // before the timer can see it: the scheduling below publishes it
            delegate.onSubscribe(s);
            if (timeout == null) {
                return;
            }
            long left = deadlineNanos - System.nanoTime();
            ScheduledThreadPoolExecutor t = left <= 0 ? null : timer.get();
            ScheduledFuture<?> scheduled = null;
            if (t != null) {
                try {
                    scheduled = t.schedule(this::expire, left, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    // closed meanwhile: ends now, as its request does
                }
            }
            if (scheduled == null) {
                expire();
                return;
            }
            synchronized (this) {
                if (ended) {
                    scheduled.cancel(false); // ended before it was scheduled
                } else {
                    expiry = scheduled;
                }
            }
        }

        /** The deadline passed with the body still coming: cut off, the response failed as timed out. */
        private void expire() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
            }
            // Outside the lock: the JDK's thread may be waiting for it in onNext, holding its own.
            subscription.cancel();
            delegate.onError(new HttpTimeoutException("response body not complete within the request timeout of "
                    + timeout.toMillis() + " ms (headers arrived, the rest did not): cut off"));
        }

        /** Marks the body ended; false if it already was. */
        private synchronized boolean end() {
            if (ended) {
                return false;
            }
            ended = true;
            if (expiry != null) {
                expiry.cancel(false);
            }
            return true;
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                for (ByteBuffer b : items) {
                    total += b.remaining();
                }
                if (total <= maxBytes) {
                    delegate.onNext(items);
                    return;
                }
            }
            if (end()) {
                subscription.cancel();
                delegate.onError(new IOException("Response body larger than " + maxBytes + " bytes: cut off"));
            }
        }

        @Override
        public void onError(Throwable error) {
            if (end()) {
                delegate.onError(error);
            }
        }

        @Override
        public void onComplete() {
            if (end()) {
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
