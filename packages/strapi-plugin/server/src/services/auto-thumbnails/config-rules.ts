// The config file's rules (`autoThumbnail` in config/plugins.ts), checked against the content types and
// resolved to stored templates at bootstrap; a template given as a spec is created once under its name.
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { type AutoThumbnailRuleConfig, autoThumbnailRuleSchema } from '../../config';
import { withAdvisoryLock } from '../../data/locks';
import { createTemplate, findTemplateRow } from '../../data/templates';
import { modelOf } from './entries';
import { type AutoThumbnailRule, checkDuplicates, checkFields, type Issue } from './rules';

const CONFIG_FILE = 'config/plugins.ts';

export async function resolveConfigRules(strapi: Core.Strapi): Promise<AutoThumbnailRule[]> {
  const raw = (strapi.config.get('plugin::dynamic-image.autoThumbnail') ?? []) as unknown[];
  const rules = z.array(autoThumbnailRuleSchema).parse(raw) as AutoThumbnailRuleConfig[];
  const issues: Issue[] = [
    ...rules.flatMap((rule, i) => checkFields(modelOf(strapi, rule.uid), rule, `autoThumbnail.${i}.`)),
    ...checkDuplicates(rules, 'autoThumbnail.'),
  ];
  const resolved: AutoThumbnailRule[] = [];
  for (const [i, rule] of rules.entries()) {
    let templateId: string | undefined;
    if (typeof rule.template === 'string') {
      templateId = (await findTemplateRow(strapi, rule.template))?.templateId;
      if (!templateId) {
        issues.push({
          field: `autoThumbnail.${i}.template`,
          rule: 'exists',
          message: `no template has the templateId or name ${JSON.stringify(rule.template)}; give a template spec ({ name, format, fps, … }) to have it created`,
        });
        continue;
      }
    } else {
      // A spec: the template is made once under its name and never overwritten (editors may tune it).
      const spec = rule.template;
      const name = String(spec.name);
      templateId = await strapi.db.transaction(async ({ trx }) => {
        // CMS instances starting together make it once.
        await withAdvisoryLock(trx, 'template-name', name);
        const existing = await findTemplateRow(strapi, name);
        if (existing) return existing.templateId as string;
        strapi.log.info(`[dynamic-image] auto-thumbnail template ${name} created from ${CONFIG_FILE}`);
        return (await createTemplate(strapi, spec)).templateId;
      });
    }
    resolved.push({
      uid: rule.uid,
      videoField: rule.videoField,
      targetField: rule.targetField,
      templateId: templateId as string,
      setAsCover: rule.setAsCover,
    });
  }
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${i.field}: ${i.message}`);
    throw new Error(`Invalid config for plugin "dynamic-image" (${CONFIG_FILE}):\n${lines.join('\n')}`);
  }
  return resolved;
}
