package io.streamrag.cli;

import io.streamrag.common.config.ConfigKeys;
import io.streamrag.ingest.IngestJob;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.query.QueryJob;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Submits the job jars to the local cluster the way one submits to a production session cluster (REST jar upload,
 * then run: the JobManager executes the job's main, which applies the job's own {@code configure(env)}), resuming
 * each job from the savepoint of the last {@code rag down} or, after a crash, its latest retained checkpoint.
 */
public final class JobLauncher {

    public static final String INGEST = "streamrag-ingest";
    public static final String QUERY = "streamrag-query";

    /** A job jar of this repository and the main class the cluster runs. */
    public enum JobJar {
        INGEST_JOB("ingest-job", "streamrag-ingest-job", "io.streamrag.ingest.IngestJob", IngestOptions.class),
        QUERY_JOB("query-job", "streamrag-query-job", "io.streamrag.query.QueryJob", QueryOptions.class);

        final String module;
        final String artifact;
        public final String mainClass;
        /** The job's options class, whose keys its main accepts. */
        public final Class<?> options;
        /** Every key the job's main accepts (ConfigKeys.forJob), the same check the job does at start. */
        public final ConfigKeys keys;

        JobJar(String module, String artifact, String mainClass, Class<?> options) {
            this.module = module;
            this.artifact = artifact;
            this.mainClass = mainClass;
            this.options = options;
            this.keys = ConfigKeys.forJob(options);
        }

        /** The job's README, whose option table is generated from {@link #options}. */
        public Path readme() {
            return Home.root().resolve(module).resolve("README.md");
        }

        /** {@code <module>/target/<artifact>-<version>-job.jar}: the shaded jar without Flink and other OSes' natives. */
        public Path path() {
            return Home.root().resolve(module).resolve("target").resolve(artifact + "-" + Home.VERSION + "-job.jar");
        }

        static JobJar of(String jobName) {
            if (jobName.startsWith(INGEST)) {
                return INGEST_JOB;
            }
            if (jobName.startsWith(QUERY)) {
                return QUERY_JOB;
            }
            throw new IllegalArgumentException("Unknown job " + jobName);
        }
    }

    private JobLauncher() {}

    /**
     * Throws for a key neither job accepts, naming the nearest one: {@code bin/rag} gives both jobs one
     * configuration ({@link #jobArguments} splits it), so a misspelled {@code --set} fails here, before submitting.
     */
    public static void checkOptions(Configuration conf) {
        JobJar.INGEST_JOB.keys.and(JobJar.QUERY_JOB.keys).check(conf.keySet());
    }

    /**
     * Throws for a value either job refuses when it is built (a range, a provider without its URL, a plan file), by
     * building both pipelines here without running them, as each job's main does on the JobManager: found before
     * anything starts, not when the query job is submitted with the ingest job already running.
     */
    public static void checkValues(Configuration conf) throws Exception {
        Configuration ingest = jobArguments(JobJar.INGEST_JOB, conf);
        StreamExecutionEnvironment ingestEnv = new StreamExecutionEnvironment(ingest);
        IngestJob.configure(ingestEnv, ingest);
        IngestJob.fromConfiguration(ingest).build(ingestEnv);
        Configuration query = jobArguments(JobJar.QUERY_JOB, conf);
        StreamExecutionEnvironment queryEnv = new StreamExecutionEnvironment(query);
        QueryJob.configure(queryEnv, query);
        QueryJob.fromConfiguration(query).build(queryEnv);
    }

    /** The part of {@code conf} that {@code jar}'s main accepts (the other job's options left out). */
    static Configuration jobArguments(JobJar jar, Configuration conf) {
        checkOptions(conf);
        Configuration args = new Configuration();
        conf.toMap().forEach((k, v) -> {
            if (jar.keys.contains(k)) {
                args.setString(k, v);
            }
        });
        return args;
    }

    /** Submits {@code name} unless a job of that name already runs; returns the job id. */
    public static String ensureRunning(String name, Configuration jobConf) throws Exception {
        FlinkRest rest = FlinkRest.local();
        FlinkRest.JobInfo running = rest.running(name);
        if (running != null) {
            return running.id();
        }
        Optional<Path> restore = restorePoint(name);
        String id = submit(name, jobConf, false, restore.orElse(null));
        restore.ifPresent(path -> System.out.println("  " + name + ": resumed from " + path));
        return id;
    }

    /** Submits a job without restoring state; {@code bounded} jobs are not remembered for resume. */
    public static String submit(String name, Configuration conf, boolean bounded) throws Exception {
        return submit(name, conf, bounded, null);
    }

    /** Uploads the job's jar if the cluster lacks its current build, then runs it with {@code conf} as arguments. */
    public static String submit(String name, Configuration conf, boolean bounded, Path restore) throws Exception {
        return submit(FlinkRest.local(), Home.jobIds(), JobJar.of(name).path(), name, conf, bounded, restore);
    }

    /**
     * {@link #submit(String, Configuration, boolean, Path)} on {@code rest} with {@code jarFile}; a job that is not
     * bounded has its id and its arguments remembered in {@code jobIds} (for resume, and for a rescale to resubmit it
     * with the same options).
     */
    static String submit(FlinkRest rest, Path jobIds, Path jarFile, String name, Configuration conf, boolean bounded, Path restore)
            throws Exception {
        JobJar jar = JobJar.of(name);
        Configuration args = jobArguments(jar, conf);
        Configuration named = args.clone();
        named.setString("pipeline.name", name);
        String id = rest.runJar(uploaded(rest, jarFile), jar.mainClass, programArgs(named),
                restore == null ? null : restore.toUri().toString());
        if (!bounded) {
            Files.createDirectories(jobIds);
            Files.writeString(jobIds.resolve(name + ".id"), id);
            writeArguments(jobIds.resolve(name + ARGUMENTS), args);
        }
        return id;
    }

    /** Suffix of the file beside {@code <name>.id} with the options the job was submitted with. */
    static final String ARGUMENTS = ".options";

    /** The options, one {@code key=value} a line; owner-only, like the rest of the state (paths to secrets, never secrets). */
    private static void writeArguments(Path file, Configuration args) throws IOException {
        Properties p = new Properties();
        p.putAll(args.toMap());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var out = Files.newOutputStream(tmp)) {
            p.store(out, "options the job was last submitted with (bin/rag up); a rescale resubmits it with them");
        }
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the folder's permissions apply
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The options {@code name} was last submitted with (not bounded), if remembered. */
    static Optional<Configuration> submittedOptions(Path jobIds, String name) throws IOException {
        Path file = jobIds.resolve(name + ARGUMENTS);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        }
        Configuration conf = new Configuration();
        p.stringPropertyNames().forEach(k -> conf.setString(k, p.getProperty(k)));
        return Optional.of(conf);
    }

    /** {@code --key value} arguments of a configuration, in a stable order. */
    static List<String> programArgs(Configuration conf) {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(conf.toMap()).entrySet()) {
            args.add("--" + e.getKey());
            args.add(e.getValue());
        }
        return args;
    }

    /** The jar id of {@code jar} on the cluster: uploaded again only when the local build is newer. */
    static String uploaded(FlinkRest rest, Path jar) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException(jar + " is missing: build first (bin/rag builds it, or mvn -DskipTests package)");
        }
        long built = Files.getLastModifiedTime(jar).toMillis();
        String name = jar.getFileName().toString();
        String current = null;
        for (FlinkRest.JarInfo j : rest.jars()) {
            if (!j.name().equals(name)) {
                continue;
            }
            if (current == null && j.uploaded() >= built) {
                current = j.id();
            } else {
                rest.deleteJar(j.id()); // an older build, or a duplicate
            }
        }
        return current != null ? current : rest.uploadJar(jar);
    }

    /** Stops a running job with a savepoint and remembers it for the next {@code up}; returns its location. */
    public static String stopWithSavepoint(FlinkRest rest, FlinkRest.JobInfo job, Duration timeout) throws IOException {
        return stopWithSavepoint(rest, Home.jobIds(), Home.state().resolve("flink/savepoints"), job, timeout);
    }

    static String stopWithSavepoint(FlinkRest rest, Path jobIds, Path dir, FlinkRest.JobInfo job, Duration timeout) throws IOException {
        Files.createDirectories(dir);
        String location = rest.stopWithSavepoint(job.id(), dir.toUri().toString(), timeout);
        Files.createDirectories(jobIds);
        Files.writeString(jobIds.resolve(job.name() + ".savepoint"), location);
        return location;
    }

    /**
     * Rescales both jobs: stop each with a savepoint, restore it at {@code parallelism} with the options it was
     * submitted with ({@code up --set}, connection flags, STREAMRAG_* variables, --client-config); waits until all
     * their tasks run. Returns how long that took.
     */
    public static Duration rescaleBoth(FlinkRest rest, int parallelism, Duration timeout) throws Exception {
        return rescaleBoth(rest, Home.jobIds(), Home.state().resolve("flink/savepoints"), JobJar::path, parallelism, timeout);
    }

    static Duration rescaleBoth(FlinkRest rest, Path jobIds, Path savepoints, java.util.function.Function<JobJar, Path> jars,
            int parallelism, Duration timeout) throws Exception {
        long t0 = System.nanoTime();
        Map<String, String> ids = new java.util.LinkedHashMap<>();
        for (String name : List.of(INGEST, QUERY)) {
            FlinkRest.JobInfo job = rest.running(name);
            if (job == null) {
                throw new IllegalStateException(name + " is not running");
            }
            // The default options instead would, e.g., switch query.endpoints back to the local model.
            Configuration conf = submittedOptions(jobIds, name).orElseGet(() -> {
                System.err.println("Warning: the options " + name + " was submitted with are not remembered (submitted by "
                        + "an earlier release?); it is resubmitted with the local run's defaults");
                return io.streamrag.cli.commands.UpCommand.jobConfiguration(new io.streamrag.cli.commands.Connection(), Map.of());
            });
            String savepoint = stopWithSavepoint(rest, jobIds, savepoints, job, timeout);
            conf.set(IngestOptions.PARALLELISM, parallelism);
            conf.set(QueryOptions.PARALLELISM, parallelism);
            ids.put(name, submit(rest, jobIds, jars.apply(JobJar.of(name)), name, conf, false, Path.of(java.net.URI.create(savepoint))));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String id : ids.values()) {
            while (!(rest.allTasksRunning(id) && rest.parallelism(id) == parallelism)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Job " + id + " not running at parallelism " + parallelism + " after " + timeout);
                }
                Thread.sleep(200);
            }
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /**
     * Where {@code name} resumes: the newer of the savepoint {@code rag down} took and the latest retained checkpoint
     * of its last run (after a crash, or when it ran on after the savepoint was restored).
     */
    static Optional<Path> restorePoint(String name) throws IOException {
        return restorePoint(Home.jobIds(), Home.checkpoints(), name);
    }

    static Optional<Path> restorePoint(Path jobIds, Path checkpoints, String name) throws IOException {
        Optional<Path> checkpoint = latestCheckpoint(jobIds, checkpoints, name);
        Optional<Path> savepoint = savepoint(jobIds, name);
        if (checkpoint.isEmpty() || savepoint.isEmpty()) {
            return checkpoint.isPresent() ? checkpoint : savepoint;
        }
        return Files.getLastModifiedTime(metadata(savepoint.get())).compareTo(Files.getLastModifiedTime(metadata(checkpoint.get()))) > 0
                ? savepoint : checkpoint;
    }

    private static Path metadata(Path dir) {
        return dir.resolve("_metadata");
    }

    static Optional<Path> savepoint(Path jobIds, String name) throws IOException {
        Path file = jobIds.resolve(name + ".savepoint");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String location = Files.readString(file).trim();
        Path dir = Path.of(location.startsWith("file:") ? java.net.URI.create(location).getPath() : location);
        return Files.exists(metadata(dir)) ? Optional.of(dir) : Optional.empty();
    }

    /** The newest completed checkpoint ({@code chk-N/_metadata}) of the last run of {@code name}. */
    static Optional<Path> latestCheckpoint(Path jobIds, Path checkpoints, String name) throws IOException {
        Path idFile = jobIds.resolve(name + ".id");
        if (!Files.exists(idFile)) {
            return Optional.empty();
        }
        Path dir = checkpoints.resolve(Files.readString(idFile).trim());
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> chks = Files.list(dir)) {
            return chks.filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .filter(p -> Files.exists(metadata(p)))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(4))));
        }
    }
}
