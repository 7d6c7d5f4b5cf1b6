CREATE TABLE "canvas_meta" (
	"id" integer PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "placements" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"x" integer NOT NULL,
	"y" integer NOT NULL,
	"color" smallint NOT NULL,
	"user_id" text NOT NULL,
	"placed_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"last_placed_at" bigint
);
--> statement-breakpoint
CREATE INDEX "placements_xy_seq" ON "placements" USING btree ("x","y","seq");