// GraphQL for the same operations, rules and permissions as REST: each resolver calls the same
// service, and each is guarded by the content-API action of its REST twin. Shadow CRUD is off for
// every content type the plugin registers (taken from its content-type table, so a new internal type
// such as the event outbox can't be left exposed): nothing reaches them without the plugin's rules.
import type { Core } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import contentTypes from '../content-types';
import { ApiError } from '../errors';
import { OPERATIONS } from '../routes';
import { callerOf } from './callers';
import { monthRange } from './usage';

// Every content type of the plugin, so a new one can't be left with shadow CRUD on.
const UIDS = Object.keys(contentTypes).map((name) => `plugin::dynamic-image.${name}`);

/** The users-permissions action of the REST route with this handler. */
const scopeOf = (handler: string) => {
  if (!OPERATIONS.some((op) => op.handler === handler)) throw new Error(`no route for ${handler}`);
  return { auth: { scope: [`plugin::dynamic-image.${handler}`] } };
};

function toGraphqlError(err: unknown): never {
  if (err instanceof ApiError) {
    const details = { code: err.code, status: err.status, ...(err.details ?? {}) };
    if (err.status === 404) throw new errors.NotFoundError(err.message, details);
    throw new errors.ValidationError(err.message, details);
  }
  throw err;
}

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  register() {
    const extension = strapi.plugin('graphql')?.service('extension');
    if (!extension) return;
    for (const uid of UIDS) extension.shadowCRUD(uid).disable();
    const svc = (name: string) => strapi.plugin('dynamic-image').service(name);
    const run =
      <A>(fn: (args: A, caller: string | null) => Promise<unknown>) =>
      async (_parent: unknown, args: A, context: { state?: unknown }) => {
        try {
          return await fn(args, callerOf(context?.state));
        } catch (err) {
          toGraphqlError(err);
        }
      };

    // biome-ignore lint/suspicious/noExplicitAny: nexus comes from Strapi's GraphQL plugin at run time.
    extension.use(({ nexus }: { nexus: any }) => {
      const { objectType, extendType, nonNull, stringArg, idArg, intArg, booleanArg, arg } = nexus;
      const Template = objectType({
        name: 'DynamicImageTemplate',
        definition(t: any) {
          t.nonNull.string('templateId');
          t.nonNull.string('name');
          t.nonNull.string('format');
          t.nonNull.int('fps');
          t.int('width');
          t.int('height');
          t.nonNull.string('captureMethod');
          // A float in GraphQL: an automatic start reads 0 here, with startAuto true.
          t.nonNull.float('start', {
            resolve: (tpl: { start: number | 'auto' }) => (tpl.start === 'auto' ? 0 : tpl.start),
          });
          t.nonNull.boolean('startAuto', {
            resolve: (tpl: { start: number | 'auto' }) => tpl.start === 'auto',
          });
          t.float('duration');
          t.float('trimEnd');
          t.nonNull.boolean('setAsDefaultThumbnail');
          t.int('loopCount');
          t.float('speed');
          t.boolean('boomerang');
          t.string('sizeMode');
          t.int('webpQuality');
          t.boolean('webpLossless');
          t.int('gifColors');
          t.float('gifDither');
          t.int('maxBytes');
        },
      });
      const Workflow = objectType({
        name: 'DynamicImageWorkflow',
        definition(t: any) {
          t.nonNull.string('workflowId');
          t.nonNull.string('name');
          t.field('nodes', { type: 'JSON' });
          t.nonNull.boolean('enabled');
          t.list.int('folders');
        },
      });
      const Job = objectType({
        name: 'DynamicImageJob',
        definition(t: any) {
          t.nonNull.string('jobId');
          t.nonNull.string('state');
          t.nonNull.int('progress');
          t.string('stage');
          t.int('videoId');
          t.string('templateId');
          t.string('workflowId');
          t.string('errorCode');
          t.string('errorMessage');
          t.int('attempts');
          t.int('dynamicImageId');
          t.string('encodeJobId');
          t.field('template', { type: 'JSON' });
          t.field('result', { type: 'JSON' });
          t.field('usage', { type: 'JSON' });
          t.field('entry', { type: 'JSON' });
          t.boolean('created');
        },
      });
      const Image = objectType({
        name: 'DynamicImage',
        definition(t: any) {
          t.nonNull.int('dynamicImageId');
          t.nonNull.string('jobId');
          t.nonNull.int('videoId');
          t.string('url');
          t.nonNull.string('format');
          t.nonNull.int('width');
          t.nonNull.int('height');
          t.nonNull.float('duration');
          t.nonNull.float('fps');
          t.nonNull.int('size');
          t.nonNull.boolean('isCover');
        },
      });
      const VideoInfo = objectType({
        name: 'DynamicImageVideoInfo',
        definition(t: any) {
          t.field('video', { type: 'JSON' });
          t.string('coverUrl');
          t.list.field('dynamicImages', { type: 'DynamicImage' });
        },
      });
      const Query = extendType({
        type: 'Query',
        definition(t: any) {
          t.list.field('dynamicImageTemplates', {
            type: 'DynamicImageTemplate',
            resolve: run(() => svc('templates').list()),
          });
          t.field('dynamicImageTemplate', {
            type: 'DynamicImageTemplate',
            args: { templateId: nonNull(stringArg()) },
            resolve: run((a: { templateId: string }) => svc('templates').get(a.templateId)),
          });
          t.list.field('dynamicImageWorkflows', {
            type: 'DynamicImageWorkflow',
            resolve: run(() => svc('workflows').list()),
          });
          t.field('dynamicImageWorkflow', {
            type: 'DynamicImageWorkflow',
            args: { workflowId: nonNull(stringArg()) },
            resolve: run((a: { workflowId: string }) => svc('workflows').get(a.workflowId)),
          });
          t.list.field('dynamicImageJobs', {
            type: 'DynamicImageJob',
            args: { videoId: idArg(), state: stringArg(), limit: intArg() },
            // Passed as given: the service checks them as it does REST's query.
            resolve: run((a: { videoId?: string | null; state?: string | null; limit?: number | null }) =>
              svc('jobs').list(a),
            ),
          });
          t.field('dynamicImageJob', {
            type: 'DynamicImageJob',
            args: { jobId: nonNull(stringArg()) },
            resolve: run((a: { jobId: string }) => svc('jobs').get(a.jobId)),
          });
          t.field('dynamicImageVideoInfo', {
            type: 'DynamicImageVideoInfo',
            args: { videoId: nonNull(idArg()) },
            resolve: run((a: { videoId: string }) => svc('results').videoInfo(a.videoId)),
          });
          t.field('dynamicImageUsage', {
            type: 'JSON',
            args: { from: stringArg(), to: stringArg() },
            resolve: run((a: { from?: string | null; to?: string | null }) =>
              svc('usage').report(monthRange(a)),
            ),
          });
          t.list.field('dynamicImages', {
            type: 'DynamicImage',
            args: { videoId: nonNull(idArg()) },
            resolve: run(async (a: { videoId: string }) =>
              svc('results').listForVideo((await svc('jobs').video(a.videoId)).id),
            ),
          });
        },
      });
      const Mutation = extendType({
        type: 'Mutation',
        definition(t: any) {
          t.field('createDynamicImageTemplate', {
            type: 'DynamicImageTemplate',
            args: { data: nonNull(arg({ type: 'JSON' })) },
            resolve: run((a: { data: unknown }) => svc('templates').create(a.data)),
          });
          t.field('updateDynamicImageTemplate', {
            type: 'DynamicImageTemplate',
            args: { templateId: nonNull(stringArg()), data: nonNull(arg({ type: 'JSON' })) },
            resolve: run((a: { templateId: string; data: unknown }) =>
              svc('templates').update(a.templateId, a.data),
            ),
          });
          t.field('deleteDynamicImageTemplate', {
            type: 'Boolean',
            args: { templateId: nonNull(stringArg()) },
            resolve: run(async (a: { templateId: string }) => {
              await svc('templates').remove(a.templateId);
              return true;
            }),
          });
          t.field('createDynamicImageWorkflow', {
            type: 'DynamicImageWorkflow',
            args: { data: nonNull(arg({ type: 'JSON' })) },
            resolve: run((a: { data: unknown }) => svc('workflows').create(a.data)),
          });
          t.field('updateDynamicImageWorkflow', {
            type: 'DynamicImageWorkflow',
            args: { workflowId: nonNull(stringArg()), data: nonNull(arg({ type: 'JSON' })) },
            resolve: run((a: { workflowId: string; data: unknown }) =>
              svc('workflows').update(a.workflowId, a.data),
            ),
          });
          t.field('deleteDynamicImageWorkflow', {
            type: 'Boolean',
            args: { workflowId: nonNull(stringArg()) },
            resolve: run(async (a: { workflowId: string }) => {
              await svc('workflows').remove(a.workflowId);
              return true;
            }),
          });
          t.field('submitDynamicImageJob', {
            type: 'DynamicImageJob',
            args: {
              videoId: nonNull(idArg()),
              templateId: nonNull(stringArg()),
              overrideParams: arg({ type: 'JSON' }),
              force: booleanArg(),
            },
            resolve: run(
              (
                a: {
                  videoId: string;
                  templateId: string;
                  overrideParams?: unknown;
                  force?: boolean | null;
                },
                caller,
              ) =>
                svc('jobs').submit({
                  videoId: a.videoId,
                  templateId: a.templateId,
                  overrideParams: a.overrideParams ?? undefined,
                  origin: 'api',
                  force: a.force === true,
                  caller,
                }),
            ),
          });
          t.field('retryDynamicImageJob', {
            type: 'DynamicImageJob',
            args: { jobId: nonNull(stringArg()) },
            resolve: run((a: { jobId: string }, caller) => svc('jobs').retry(a.jobId, caller)),
          });
          t.field('setDynamicImageCover', {
            type: 'Boolean',
            args: { dynamicImageId: nonNull(idArg()) },
            resolve: run(async (a: { dynamicImageId: string }) => {
              await svc('results').setCover(Number(a.dynamicImageId));
              return true;
            }),
          });
          t.list.field('submitWorkflowJob', {
            type: 'DynamicImageJob',
            args: { workflowId: nonNull(stringArg()), videoId: nonNull(idArg()) },
            resolve: run(
              async (a: { workflowId: string; videoId: string }, caller) =>
                (await svc('jobs').submitWorkflow(a.videoId, a.workflowId, 'workflow', false, caller)).jobs,
            ),
          });
          t.field('deleteDynamicImage', {
            type: 'Boolean',
            args: { dynamicImageId: nonNull(idArg()) },
            resolve: run(async (a: { dynamicImageId: string }) => {
              await svc('results').remove(a.dynamicImageId);
              return true;
            }),
          });
        },
      });
      return {
        types: [Template, Workflow, Job, Image, VideoInfo, Query, Mutation],
        resolversConfig: {
          'Query.dynamicImageTemplates': scopeOf('template.find'),
          'Query.dynamicImageTemplate': scopeOf('template.findOne'),
          'Query.dynamicImageWorkflows': scopeOf('workflow.find'),
          'Query.dynamicImageWorkflow': scopeOf('workflow.findOne'),
          'Query.dynamicImageJobs': scopeOf('job.find'),
          'Query.dynamicImageJob': scopeOf('job.findOne'),
          'Query.dynamicImageVideoInfo': scopeOf('video.info'),
          'Query.dynamicImages': scopeOf('video.dynamicImages'),
          'Query.dynamicImageUsage': scopeOf('usage.find'),
          'Mutation.createDynamicImageTemplate': scopeOf('template.create'),
          'Mutation.updateDynamicImageTemplate': scopeOf('template.update'),
          'Mutation.deleteDynamicImageTemplate': scopeOf('template.delete'),
          'Mutation.createDynamicImageWorkflow': scopeOf('workflow.create'),
          'Mutation.updateDynamicImageWorkflow': scopeOf('workflow.update'),
          'Mutation.deleteDynamicImageWorkflow': scopeOf('workflow.delete'),
          'Mutation.submitDynamicImageJob': scopeOf('job.submit'),
          'Mutation.retryDynamicImageJob': scopeOf('job.retry'),
          'Mutation.setDynamicImageCover': scopeOf('video.setCover'),
          'Mutation.submitWorkflowJob': scopeOf('workflow.run'),
          'Mutation.deleteDynamicImage': scopeOf('video.deleteDynamicImage'),
        },
      };
    });
  },
});
