// scheduler/wake-timeline.ts by itself: Go durations as Flux writes them, and the sum of the bounds. The
// timeline against the real, kustomize-built objects of each stack is in airflow/gitops.test.ts.

import { strict as assert } from "assert";
import { goDurationMinutes, newestImageTimeline, nodeLeadProblem, NODES_READY_MINUTES } from "./wake-timeline";

describe("the wake timeline (scheduler/wake-timeline.ts)", () => {
    it("reads Go durations as Flux writes them, and refuses anything else", () => {
        for (const [text, minutes] of [["5m", 5], ["1m0s", 1], ["90s", 1.5], ["1h30m", 90], ["10m0s", 10], ["60s", 1], ["1h", 60]] as const) {
            assert.equal(goDurationMinutes(text), minutes, text);
        }
        for (const bad of ["", "5", "5 minutes", "m5", "1m 0s", "-1m"]) assert.throws(() => goDurationMinutes(bad), /not a Go duration/, bad);
    });
    it("adds up each step's bound, and says which steps when the lead is too short", () => {
        const t = newestImageTimeline({ imageScanInterval: "2m", imageUpdateInterval: "2m", sourceInterval: "1m0s", sourceTimeout: "60s", helmReleaseTimeout: "10m" });
        assert.equal(t.steps[0].minutes, NODES_READY_MINUTES);
        assert.equal(t.totalMinutes, 8 + 3 + 2 + 2 + 2 + 1 + 10);
        assert.equal(nodeLeadProblem(28, t), undefined);
        assert.match(String(nodeLeadProblem(20, t)), /wake 20 minutes before.*may take 28 minutes to be running \(nodes ready 8, .*Airflow upgraded and Ready 10\)/);
    });
});
