DROP INDEX "users_username_key";--> statement-breakpoint
DROP INDEX "users_username_trgm_idx";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "username_key" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "username_skeleton" text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Unique under lower() before, so unique as keys now; authd recomputes both forms at start (src/usernames.ts).
UPDATE "users" SET "username_key" = lower("username") WHERE "username" <> '';--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_skeleton_key" ON "users" USING btree ("username_skeleton") WHERE "users"."username_skeleton" <> '';--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_key" ON "users" USING btree ("username_key") WHERE "users"."username_key" <> '';--> statement-breakpoint
CREATE INDEX "users_username_trgm_idx" ON "users" USING gin ("username_key" gin_trgm_ops);