ALTER TABLE "sessions" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
-- Existing sessions end when their newest refresh token does.
UPDATE "sessions" SET "expires_at" = coalesce(
  (SELECT max("refresh_tokens"."expires_at") FROM "refresh_tokens" WHERE "refresh_tokens"."session_id" = "sessions"."id"),
  now());--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "expires_at" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "refresh_tokens_expires_at_idx" ON "refresh_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");
