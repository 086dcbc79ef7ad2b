// Where the morning report goes: kept in the task-log bucket under reports/ (JSON for history, a small
// HTML page to read), e-mailed as text through the alarm topic. Thin adapters over the SDK; the
// watcher's role may do exactly this (scheduler/policies.ts, reportPolicyStatements).

import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { REPORT_PREFIX, reportKey, type NightReport } from "./report";

/** SNS takes at most 256 KiB a message and 100 characters of subject (SNS API reference, Publish). */
const MAX_MESSAGE_BYTES = 250 * 1024;
const MAX_SUBJECT = 100;

export async function keepReport(s3: S3Client, bucket: string, report: NightReport, html: string): Promise<string[]> {
    const { PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const keys = [reportKey(report.night, "json"), reportKey(report.night, "html")];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[0], Body: `${JSON.stringify(report, null, 2)}\n`, ContentType: "application/json" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[1], Body: html, ContentType: "text/html; charset=utf-8" }));
    return keys;
}

/** The newest `nights` reports (by night), oldest first; a report that does not parse is skipped. */
export async function recentReports(s3: S3Client, bucket: string, nights: number): Promise<NightReport[]> {
    const { GetObjectCommand, ListObjectsV2Command } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: REPORT_PREFIX, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key?.endsWith(".json")) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const newest = keys.sort().slice(-nights);
    const reports: NightReport[] = [];
    for (const key of newest) {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        try {
            const parsed = JSON.parse(await out.Body!.transformToString()) as NightReport;
            if (parsed.version === 1) reports.push(parsed);
        } catch {
            // A hand-edited or truncated object: not history.
        }
    }
    return reports;
}

export function reportSubject(report: NightReport): string {
    const verdict = report.alerts.length === 0 ? "all green" : report.alerts[0];
    const subject = `${report.stack}, night of ${report.night}: ${verdict}`.replace(/[\r\n]+/g, " ");
    return subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 3)}...`;
}

export async function mailReport(sns: SNSClient, topicArn: string, subject: string, text: string): Promise<void> {
    const { PublishCommand } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
    const body = Buffer.byteLength(text) <= MAX_MESSAGE_BYTES ? text : `${Buffer.from(text).subarray(0, MAX_MESSAGE_BYTES).toString("utf8")}\n… (cut: the full report is in S3)`;
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: body }));
}
