package io.streamrag.cli.eval;

import io.streamrag.cli.EnvironmentDefaults;
import io.streamrag.cli.Rag;
import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.QueryJob;
import io.streamrag.query.QueryOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The budget planner's sweep over an evaluation set, through the real query job: backfills DOCS_DIR into a fresh
 * index, runs the query job (MiniCluster, local {@code extractive} endpoint) on topics of its own, runs
 * {@code rag sweep} against it over the given grid and then {@code rag plan} on the sweep's per-question CSV (fit on
 * odd-numbered questions, comparison on the even-numbered). Needs the local Kafka and OpenSearch; removes its index
 * and topics at the end. {@code PlanEval DOCS_DIR QUESTIONS.jsonl OUT_DIR [N list] [k list] [strategies]
 * [key=value;... query job options]}.
 */
public final class PlanEval {

    private PlanEval() {}

    public static void main(String[] args) throws Exception {
        Path docs = Path.of(args[0]);
        Path questions = Path.of(args[1]);
        Path out = Path.of(args[2]);
        String ns = args.length > 3 ? args[3] : "1,2,4,8";
        String ks = args.length > 4 ? args[4] : "1,2,4,8";
        String strategies = args.length > 5 ? args[5] : "RAG,DRAG,ITERDRAG";
        try (EvalIndex index = EvalIndex.backfill("plan-eval", docs);
             LocalModelServer model = LocalModelServer.startLocal(new Faults())) {
            String questionsTopic = index.topic("questions");
            String answersTopic = index.topic("answers");
            Configuration conf = EvalIndex.connection(index.alias);
            conf.set(StreamRagOptions.QUESTIONS_TOPIC, questionsTopic);
            conf.set(StreamRagOptions.ANSWERS_TOPIC, answersTopic);
            conf.set(QueryOptions.ENDPOINTS, "local=openai," + model.baseUrl() + ",extractive,8");
            conf.set(QueryOptions.SOURCE_GROUP_ID, "plan-eval-" + UUID.randomUUID());
            conf.set(QueryOptions.SINK_TRANSACTIONAL_ID_PREFIX, "plan-eval-" + UUID.randomUUID());
            conf.set(QueryOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(1000));
            if (args.length > 6) {
                for (String kv : args[6].split(";")) {
                    conf.setString(kv.substring(0, kv.indexOf('=')).strip(), kv.substring(kv.indexOf('=') + 1).strip());
                }
            }
            Configuration envConf = new Configuration();
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
            env.setParallelism(2);
            QueryJob.configure(env, conf);
            QueryJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("plan-eval-query");
            try {
                List<String> sweep = new ArrayList<>(List.of("sweep", questions.toString(),
                        "-b", EvalIndex.KAFKA, "--opensearch", EvalIndex.OPENSEARCH, "--index", index.alias,
                        "--questions-topic", questionsTopic, "--answers-topic", answersTopic,
                        "--tenant", EvalIndex.TENANT, "--n", ns, "--k", ks, "--strategy", strategies,
                        "--timeout", "5m", "--out", out.toString()));
                int rc = Rag.commandLine(new EnvironmentDefaults(Map.of())).execute(sweep.toArray(new String[0]));
                if (rc != 0) {
                    throw new IllegalStateException("rag sweep exited " + rc);
                }
            } finally {
                job.cancel().get();
            }
        }
        int rc = Rag.commandLine(new EnvironmentDefaults(Map.of())).execute("plan",
                out.resolve("sweep-questions.csv").toString(), "--out", out.resolve("plan.json").toString());
        System.exit(rc);
    }
}
