package io.streamrag.query.generate;

import io.streamrag.common.net.JdkHttpClients;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.model.output.TokenUsage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * One configured model endpoint: a langchain4j chat model with its own retries off, the endpoint's shared
 * {@link EndpointHealth} (bulkhead of {@code maxConcurrency} threads per JVM with a bounded queue, circuit breaker,
 * optional rate limit) and our bounded retries, every attempt bounded by the question's deadline.
 */
public class ChatEndpoint implements AutoCloseable {

    /** Free retries of one call after its connection was closed under it by this JVM (see {@link #closedLocally}). */
    static final int MAX_LOCAL_RESETS = 2;
    /** A request cut short by its deadline that ran this long, and 3 x the endpoint's p99, timed out on the endpoint. */
    static final long MIN_SLOW_CALL_MS = 1_000;
    /** The same before the endpoint has answered enough to have a p99. */
    static final long COLD_SLOW_CALL_MS = 5_000;
    /** Least time a retry must have left after its backoff (more if the endpoint never answers that fast). */
    static final long MIN_ATTEMPT_MS = 50;

    public final EndpointSpec spec;
    private final ChatModel model;
    private final EndpointHealth health;
    private final HealthSettings settings;
    private final RetryPolicy retry;
    private final int maxTokens;
    private final CallListener listener;
    /** Direct JSON client for {@code n} choices per request; null unless the endpoint takes {@code n}. */
    private final ChoicesClient choices;
    /** The JDK HTTP clients under {@link #model} and {@link #choices}, closed with the endpoint (see {@link JdkHttpClients}). */
    private final JdkHttpClients http = new JdkHttpClients();
    /** Closed with its operator: a call still running on the shared endpoint threads stops at its next attempt. */
    private volatile boolean closed;

    public ChatEndpoint(EndpointSpec spec, RetryPolicy retry, int maxTokens, CallListener listener) {
        this(spec, retry, maxTokens, listener, HealthSettings.from(new Configuration()));
    }

    public ChatEndpoint(EndpointSpec spec, RetryPolicy retry, int maxTokens, CallListener listener,
                        HealthSettings settings) {
        this.spec = spec;
        this.settings = settings;
        this.retry = retry;
        this.maxTokens = maxTokens;
        this.listener = listener;
        Duration timeout = Duration.ofMillis(spec.timeoutMs);
        boolean watsonx = spec.provider == EndpointSpec.Provider.WATSONX;
        if (watsonx) {
            WatsonxModels.opened(); // before the SDK builds its own client: the last close stops it
        }
        try {
            if (watsonx) {
                this.model = WatsonxModels.chatModel(spec, timeout, http.newBuilder().connectTimeout(timeout).build());
            } else if (spec.provider == EndpointSpec.Provider.OLLAMA) {
                this.model = OllamaChatModel.builder()
                        .baseUrl(spec.baseUrl)
                        .modelName(spec.model)
                        .timeout(timeout)
                        .maxRetries(0)
                        .httpClientBuilder(new RetryAfterHttpClient.Builder(http))
                        .build();
            } else {
                String key = spec.apiKeyEnv == null ? null : System.getenv(spec.apiKeyEnv);
                this.model = OpenAiChatModel.builder()
                        .baseUrl(spec.baseUrl)
                        .apiKey(key == null || key.isBlank() ? "none" : key)
                        .modelName(spec.model)
                        .timeout(timeout)
                        .maxRetries(0) // our own bounded retries below honour Retry-After
                        .httpClientBuilder(new RetryAfterHttpClient.Builder(http))
                        .build();
            }
            this.choices = spec.maxChoices > 1 ? new ChoicesClient(spec, timeout, http) : null;
            this.health = EndpointPools.acquire(spec, settings); // last: nothing after it can fail and leave it held
        } catch (RuntimeException e) {
            http.close(); // nothing else would: the caller never gets this endpoint
            if (watsonx) {
                WatsonxModels.closed();
            }
            throw e;
        }
    }

    /** The endpoint's shared bulkhead, breaker and latency record (see {@link EndpointPools}). */
    public EndpointHealth health() {
        return health;
    }

    /** Reports tokens spent here that no candidate's result holds (see {@link CallListener#tokensSpent}). */
    void tokensSpent(long tokensIn, long tokensOut) {
        if (tokensIn > 0 || tokensOut > 0) {
            listener.tokensSpent(spec.name, tokensIn, tokensOut);
        }
    }

    /** One logical model call with bounded retries; throws {@link CallFailedException} when it gives up. */
    public CallResult call(String prompt, double temperature, long seed, long deadlineAtMs) {
        return call(prompt, temperature, seed, deadlineAtMs, null);
    }

    /**
     * One logical model call; {@code handle} (may be null) tells whether an abort means this endpoint lost a hedge race
     * (recorded by the breaker as a failure, like a timeout) or just that the answer is no longer needed (neutral).
     */
    public CallResult call(String prompt, double temperature, long seed, long deadlineAtMs, CallHandle handle) {
        ChatRequestParameters params = spec.provider == EndpointSpec.Provider.WATSONX
                ? WatsonxModels.parameters(temperature, seed, maxTokens)
                : spec.provider == EndpointSpec.Provider.OLLAMA
                ? OllamaChatRequestParameters.builder().temperature(temperature).seed((int) seed)
                        .maxOutputTokens(maxTokens).build()
                : OpenAiChatRequestParameters.builder().temperature(temperature).seed((int) seed)
                        .maxOutputTokens(maxTokens).build();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from(prompt)).parameters(params).build();
        return withRetries(deadlineAtMs, handle, attempt -> {
            ChatResponse response = RetryAfterHttpClient.withDeadline(deadlineAtMs, () -> model.chat(request));
            TokenUsage usage = response.tokenUsage();
            long in = usage == null || usage.inputTokenCount() == null ? 0 : usage.inputTokenCount();
            long out = usage == null || usage.outputTokenCount() == null ? 0 : usage.outputTokenCount();
            return new CallResult(response.aiMessage().text(), in, out, attempt);
        });
    }

    /**
     * {@code n} samples of one prompt in one request (OpenAI's {@code n}; only for endpoints whose
     * {@link EndpointSpec#maxChoices} allows it), with the same breaker, bulkhead, deadline and retries as {@link #call}.
     */
    public Choices callChoices(String prompt, double temperature, long seed, int n, long deadlineAtMs) {
        return callChoices(prompt, temperature, seed, n, deadlineAtMs, null);
    }

    /** {@link #callChoices(String, double, long, int, long)}, abortable through {@code handle} (may be null) as {@link #call}. */
    public Choices callChoices(String prompt, double temperature, long seed, int n, long deadlineAtMs,
                               CallHandle handle) {
        if (choices == null) {
            throw new IllegalStateException("Endpoint " + spec.name + " does not take n (maxChoices 1)");
        }
        return withRetries(deadlineAtMs, handle, attempt -> RetryAfterHttpClient.withDeadline(deadlineAtMs,
                () -> choices.complete(prompt, temperature, seed, n, maxTokens, attempt)));
    }

    /**
     * Runs {@code once} (given the 1-based attempt number) through the breaker, rate limit and bulkhead until it
     * succeeds, a failure is final, or the deadline leaves no time for another attempt.
     */
    private <T> T withRetries(long deadlineAtMs, CallHandle handle, IntFunction<T> once) {
        int localResets = 0; // attempts lost to our own client closing the connection (not the endpoint's fault)
        for (int attempt = 1; ; attempt++) {
            if (closed) { // its clients fail every request now: no retries until the deadline
                throw cancelled(attempt - 1, null);
            }
            if (handle != null && handle.unneeded()) { // the decided vote lets only the attempt in flight finish
                throw cancelled(attempt - 1, null);
            }
            // No call (first or retry) starts after the deadline.
            long left = deadlineAtMs - System.currentTimeMillis();
            if (left <= 0) {
                throw new CallFailedException("timeout: deadline passed before attempt " + attempt, true, attempt - 1, null);
            }
            if (health.open()) {
                // Turned away at once (routing tries another endpoint) rather than after waiting for a slot.
                throw new CallFailedException("circuit open", false, attempt - 1, null, CallFailedException.Kind.REJECTED);
            }
            // Slot, then breaker permission, then rate permit, each just before the request: a permission taken before
            // the wait for a slot let a queued attempt send after the breaker had opened (or outside the half-open
            // probes), and a rate permit taken before it let the queue send in one burst when slots freed up.
            try {
                if (!health.acquireSlot(deadlineAtMs)) {
                    throw new CallFailedException("timeout: no request slot free before the deadline", true,
                            attempt - 1, null);
                }
                if (handle != null && handle.unneeded()) { // while it waited for the slot
                    health.releaseSlot();
                    throw cancelled(attempt - 1, null);
                }
            } catch (InterruptedException ie) {
                throw cancelled(attempt - 1, ie);
            }
            if (!health.breaker.tryAcquirePermission()) {
                health.releaseSlot();
                throw new CallFailedException("circuit open", false, attempt - 1, null, CallFailedException.Kind.REJECTED);
            }
            CircuitBreaker.State permittedIn = health.breaker.getState();
            try {
                if (!health.acquireRate(Math.min(deadlineAtMs - System.currentTimeMillis(), 1_000))) {
                    health.releaseSlot();
                    releasePermission(permittedIn);
                    throw new CallFailedException("rate limit (rps " + spec.rps + ") reached", false, attempt - 1, null,
                            CallFailedException.Kind.REJECTED);
                }
            } catch (InterruptedException ie) {
                health.releaseSlot();
                releasePermission(permittedIn);
                throw cancelled(attempt - 1, ie);
            }
            // The request's timeout is min(the endpoint's timeoutMs, time left): cut short by the question's deadline,
            // a timeout says the question had too little time, not that the endpoint is slow (see endpointTimeout).
            boolean deadlineShortened = deadlineAtMs - System.currentTimeMillis() < spec.timeoutMs;
            long start = System.nanoTime();
            try {
                T result;
                try {
                    result = once.apply(attempt);
                } finally {
                    health.releaseSlot(); // held only while the request is open, not during a backoff
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                health.breaker.onSuccess(millis, TimeUnit.MILLISECONDS);
                health.recordLatency(millis);
                health.recordFinished(millis);
                listener.callLatency(spec.name, millis);
                return result;
            } catch (RuntimeException e) {
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // Closed under it (its operator closed): its client failed it, not the endpoint; the shared breaker is not told.
                if (Thread.currentThread().isInterrupted() || hasCause(e, InterruptedException.class)
                        || handle != null && handle.cancelled() || closed) {
                    health.recordAborted(millis);
                    if (handle != null && handle.countsAgainstEndpoint()) {
                        // slower than a later hedge, or still running past the question's deadline
                        health.breaker.onError(millis, TimeUnit.MILLISECONDS, e);
                    } else {
                        releasePermission(permittedIn); // no longer needed: says nothing about the endpoint
                    }
                    throw cancelled(attempt, e);
                }
                boolean timeout = isTimeout(e);
                if (!timeout && closedLocally(e) && localResets < MAX_LOCAL_RESETS
                        && System.currentTimeMillis() < deadlineAtMs) {
                    // JDK 17's client, cancelling an aborted call (a spare's twin), may close the connection it had
                    // already handed back to the pool and on to this call: retried at once, free, breaker untold.
                    releasePermission(permittedIn);
                    localResets++;
                    listener.retried(spec.name);
                    continue;
                }
                health.recordAborted(millis); // no answer: it only tells the call ran at least this long
                int status = statusCode(e);
                if (timeout ? endpointTimeout(deadlineShortened, millis, spec.timeoutMs, health.latencyPercentile(99),
                        health.answeredSince(start)) : endpointFault(status)) {
                    health.breaker.onError(millis, TimeUnit.MILLISECONDS, e);
                } else {
                    // busy (429), a bad request, or a deadline shorter than the endpoint's timeout: says nothing
                    // about the endpoint, and would open the breaker every tenant on this TaskManager shares
                    releasePermission(permittedIn);
                }
                boolean retriable = timeout || status == 429 || status >= 500 || status == -1 && isIo(e);
                String reason = describe(e, status, timeout);
                if (!retriable || attempt - localResets > retry.maxRetries) {
                    throw new CallFailedException(reason + " after " + attempt + " attempt(s)", timeout, attempt, e);
                }
                if (handle != null && handle.unneeded()) { // no retry for a candidate the vote no longer needs
                    throw cancelled(attempt, e);
                }
                // Retry-After as a 429 or a 503 (any 5xx) gives it; a timeout or I/O error has none.
                long delay = retry.backoffMs(attempt - 1, retryAfterMs(e));
                // A retry left with less time than the endpoint's fastest answers could only time out. Compared as
                // time left, not as now + delay: a huge Retry-After made that sum overflow into the past.
                long needed = Math.max(MIN_ATTEMPT_MS, health.latencyPercentile(5));
                if (delay > deadlineAtMs - System.currentTimeMillis() - needed) {
                    throw new CallFailedException(reason + "; no time left to retry after " + attempt + " attempt(s)",
                            timeout, attempt, e);
                }
                listener.retried(spec.name);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException ie) {
                    throw cancelled(attempt, ie);
                }
            }
        }
    }

    /**
     * Gives back a breaker permission the call did not use, if the breaker is still in the state it was taken in:
     * resilience4j adds a released permission to the half-open probes, so one taken while closed and given back after
     * the breaker had opened and half-opened would let a failing endpoint take one probe more than configured.
     */
    private void releasePermission(CircuitBreaker.State permittedIn) {
        if (health.breaker.getState() == permittedIn) {
            health.breaker.releasePermission();
        }
    }

    private static CallFailedException cancelled(int attempts, Throwable cause) {
        return new CallFailedException("cancelled", false, attempts, cause, CallFailedException.Kind.CANCELLED);
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static int statusCode(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpException) {
                return ((HttpException) t).statusCode();
            }
            if (t instanceof com.ibm.watsonx.ai.core.exception.WatsonxException) {
                return ((com.ibm.watsonx.ai.core.exception.WatsonxException) t).statusCode();
            }
        }
        return -1;
    }

    /**
     * Whether a failed call with this HTTP status ({@code -1}: none, a timeout or I/O error) counts against the
     * endpoint's breaker, which every question of every tenant on this TaskManager shares: a 5xx, a timeout, a broken
     * connection, or an endpoint set up wrong (401, 403, 404: every call fails alike). Not 429 (busy, not broken) nor
     * another 4xx: the request's own fault (400 for a prompt past the model's context, 413, 422), or one tenant's
     * oversized questions would open the breaker and fail every other tenant's.
     */
    static boolean endpointFault(int status) {
        return status < 400 || status >= 500 || status == 401 || status == 403 || status == 404 || status == 408;
    }

    /**
     * Whether a timed-out request counts against the endpoint's breaker. Not when its timeout was cut short by the
     * question's deadline before it had run much longer than the endpoint answers ({@code p99}, -1 before enough
     * answers), nor while the endpoint still answered other calls ({@code answeredMeanwhile}): a tenant's short
     * deadlines or slow prompts, or a backlog handing over questions with little time left, opened the breaker every
     * tenant shares. But one that ran 3 x the endpoint's p99 (at least {@link #MIN_SLOW_CALL_MS}; before it has
     * answered enough, {@link #COLD_SLOW_CALL_MS}) while it answered nothing, or ran its own timeout, counts: with the
     * default deadline and timeout (both 60 s) every request is cut short, and a hung endpoint must still open its
     * breaker.
     */
    static boolean endpointTimeout(boolean deadlineShortened, long millis, long endpointTimeoutMs, long p99,
                                   boolean answeredMeanwhile) {
        long slow = p99 < 0 ? COLD_SLOW_CALL_MS : Math.max(MIN_SLOW_CALL_MS, 3 * p99);
        return !deadlineShortened || millis >= endpointTimeoutMs || millis >= slow && !answeredMeanwhile;
    }

    static long retryAfterMs(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RetryAfterHttpException) {
                return ((RetryAfterHttpException) t).retryAfterMs();
            }
        }
        return -1;
    }

    static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof dev.langchain4j.exception.TimeoutException || t instanceof HttpTimeoutException
                    || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the call failed because this JVM's HTTP client closed its connection (the JDK's wording), not because
     * the endpoint or the network did.
     */
    static boolean closedLocally(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException && "connection closed locally".equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isIo(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e, int status, boolean timeout) {
        if (timeout) {
            return "timeout";
        }
        if (status > 0) {
            return "HTTP " + status;
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** Gives back the endpoint's share of its health and closes its HTTP clients: calls still running fail. */
    @Override
    public void close() {
        closed = true;
        try {
            http.close();
        } finally {
            EndpointPools.release(spec, settings);
            if (spec.provider == EndpointSpec.Provider.WATSONX) {
                WatsonxModels.closed();
            }
        }
    }
}
