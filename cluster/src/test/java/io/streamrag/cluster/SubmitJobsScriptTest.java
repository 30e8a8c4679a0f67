package io.streamrag.cluster;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Docker deployment's submit-jobs.sh against a stand-in {@code flink} command: jobs resume from their newest state
 * (a replaced job from its savepoint, a job lost with its JobManager from its last run's newest checkpoint).
 */
class SubmitJobsScriptTest {

    private static final String FLINK_STUB = """
            #!/usr/bin/env bash
            echo "$*" >> "$STUB_CALLS"
            case "$1" in
              list) cat "$STUB_ACTIVE" 2>/dev/null || true ;;
              run) n=$(( $(cat "$STUB_COUNTER" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$STUB_COUNTER"
                   printf 'Job has been submitted with JobID %032x\\n' "$n" ;;
              stop) mkdir -p "$STREAMRAG_STATE_DIR/savepoints/savepoint-1a2b"
                    touch "$STREAMRAG_STATE_DIR/savepoints/savepoint-1a2b/_metadata"
                    echo "Savepoint completed. Path: file:$STREAMRAG_STATE_DIR/savepoints/savepoint-1a2b" ;;
              cancel) echo "Cancelled job $2." ;;
            esac
            """;

    @TempDir
    Path dir;
    private Path state;

    @BeforeEach
    void stub() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path flink = Files.writeString(bin.resolve("flink"), FLINK_STUB);
        Files.setPosixFilePermissions(flink, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path usrlib = Files.createDirectories(dir.resolve("flink/usrlib"));
        Files.createFile(usrlib.resolve("streamrag-ingest-job-0.1.0-SNAPSHOT-job.jar"));
        Files.createFile(usrlib.resolve("streamrag-query-job-0.1.0-SNAPSHOT-job.jar"));
        state = Files.createDirectories(dir.resolve("state"));
    }

    private List<String> run(Map<String, String> env) throws Exception {
        Path calls = dir.resolve("calls");
        Files.deleteIfExists(calls);
        Path script = Path.of("").toAbsolutePath().getParent().resolve("deploy/docker/submit-jobs.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        pb.environment().put("FLINK_HOME", dir.resolve("flink").toString());
        pb.environment().put("STREAMRAG_STATE_DIR", state.toString());
        pb.environment().put("STUB_CALLS", calls.toString());
        pb.environment().put("STUB_ACTIVE", dir.resolve("active").toString());
        pb.environment().put("STUB_COUNTER", dir.resolve("counter").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return Files.readAllLines(calls).stream().filter(c -> c.startsWith("run") || c.startsWith("stop") || c.startsWith("cancel")).toList();
    }

    private static String job(int n) {
        return String.format("%032x", n);
    }

    private void metadata(Path checkpoint, Instant at) throws IOException {
        Path m = Files.createDirectories(checkpoint).resolve("_metadata");
        Files.writeString(m, "x");
        Files.setLastModifiedTime(m, FileTime.from(at));
    }

    @Test
    void aFirstStartIsEmptyAndALostJobResumesFromItsNewestCheckpoint() throws Exception {
        assertThat(run(Map.of())).allSatisfy(c -> assertThat(c).doesNotContain(" -s "))
                .hasSize(2).anySatisfy(c -> assertThat(c).contains("streamrag-ingest-job")).anySatisfy(c -> assertThat(c).contains("streamrag-query-job"));
        assertThat(Files.readString(state.resolve("streamrag-jobs/ingest.job")).strip()).isEqualTo(job(1));

        // The JobManager restarted without HA: its jobs are gone, their retained checkpoints are not.
        metadata(state.resolve(job(1)).resolve("chk-3"), Instant.now().minusSeconds(60));
        metadata(state.resolve(job(1)).resolve("chk-12"), Instant.now().minusSeconds(30));
        List<String> calls = run(Map.of());
        assertThat(calls.get(0)).contains("-s file://" + state.resolve(job(1)).resolve("chk-12")).contains("streamrag-ingest-job");
        assertThat(calls.get(1)).doesNotContain(" -s ").contains("streamrag-query-job");
        assertThat(Files.readString(state.resolve("streamrag-jobs/ingest.job")).strip()).isEqualTo(job(3));

        assertThat(run(Map.of("STREAMRAG_FRESH_START", "1"))).allSatisfy(c -> assertThat(c).doesNotContain(" -s "));
    }

    @Test
    void aReplacedJobIsStoppedWithASavepointAndResumesFromIt() throws Exception {
        run(Map.of());
        metadata(state.resolve(job(1)).resolve("chk-7"), Instant.now().minusSeconds(120)); // older than the savepoint
        Files.writeString(dir.resolve("active"), "01.12.2026 02:50:00 : " + job(1) + " : streamrag-ingest (RUNNING)\n"
                + "01.12.2026 02:50:00 : " + job(2) + " : streamrag-query (RUNNING)\n");
        List<String> calls = run(Map.of("STREAMRAG_REPLACE_JOBS", "ingest"));
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0)).startsWith("stop").contains("--savepointPath file://" + state.resolve("savepoints")).endsWith(job(1));
        assertThat(calls.get(1)).contains("-s file:" + state.resolve("savepoints/savepoint-1a2b")).contains("streamrag-ingest-job");
    }

    /** Before, the name was only looked for: the job still registered as streamrag-ingest, so the next run submitted a second copy. */
    @Test
    void aJobNameSetIsTheNameRegisteredSoARunningJobIsNotSubmittedAgain() throws Exception {
        Map<String, String> names = Map.of("STREAMRAG_INGEST_JOB_NAME", "acme-ingest", "STREAMRAG_QUERY_JOB_NAME", "acme-query");
        List<String> first = run(names);
        assertThat(first).hasSize(2);
        assertThat(first.get(0)).contains("streamrag-ingest-job").contains("--pipeline.name acme-ingest");
        assertThat(first.get(1)).contains("streamrag-query-job").contains("--pipeline.name acme-query");
        Files.writeString(dir.resolve("active"), "01.12.2026 02:50:00 : " + job(1) + " : acme-ingest (RUNNING)\n"
                + "01.12.2026 02:50:00 : " + job(2) + " : acme-query (RUNNING)\n");
        assertThat(run(names)).isEmpty();
    }
}
