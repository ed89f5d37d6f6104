import { Divider } from '@strapi/design-system';
import { Layouts, Page, SubNav } from '@strapi/strapi/admin';
import type * as React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import { PLUGIN_ID } from '../pluginId';
import { useT } from '../utils/t';
import { useCan } from '../utils/useCan';
import { JobsPage } from './JobsPage';
import { ResultsPage } from './ResultsPage';
import { SettingsPage } from './SettingsPage';
import { TemplateEditPage } from './TemplateEditPage';
import { TemplatesPage } from './TemplatesPage';
import { UploadPage } from './UploadPage';
import { UsagePage } from './UsagePage';
import { VideosPage } from './VideosPage';
import { WorkflowEditPage } from './WorkflowEditPage';
import { WorkflowsPage } from './WorkflowsPage';

const BASE = `/plugins/${PLUGIN_ID}`;

const PAGES = [
  { path: 'upload', label: ['nav.upload', 'Upload'], permissions: PERMISSIONS.upload, section: 'media' },
  { path: 'videos', label: ['nav.videos', 'Videos'], permissions: PERMISSIONS.imagesRead, section: 'media' },
  { path: 'jobs', label: ['nav.jobs', 'Jobs'], permissions: PERMISSIONS.jobsRead, section: 'media' },
  {
    path: 'results',
    label: ['nav.results', 'Results'],
    permissions: PERMISSIONS.imagesRead,
    section: 'media',
  },
  { path: 'usage', label: ['nav.usage', 'Usage'], permissions: PERMISSIONS.jobsRead, section: 'media' },
  {
    path: 'templates',
    label: ['nav.templates', 'Templates'],
    permissions: PERMISSIONS.templatesRead,
    section: 'setup',
  },
  {
    path: 'workflows',
    label: ['nav.workflows', 'Workflows'],
    permissions: PERMISSIONS.workflowsRead,
    section: 'setup',
  },
  {
    path: 'settings',
    label: ['nav.settings', 'Settings'],
    permissions: PERMISSIONS.settingsRead,
    section: 'setup',
  },
] as const;

function Protected({ path, children }: { path: (typeof PAGES)[number]['path']; children: React.ReactNode }) {
  const page = PAGES.find((p) => p.path === path);
  return <Page.Protect permissions={page ? [...page.permissions] : []}>{children}</Page.Protect>;
}

export default function App() {
  const t = useT();
  const can = useCan();
  const visible = PAGES.filter((p) => can([...p.permissions]));
  const sections = [
    { id: 'media', label: t('nav.section.media', 'Media') },
    { id: 'setup', label: t('nav.section.setup', 'Set-up') },
  ];
  const title = t('plugin.name', 'Dynamic images');
  const sideNav = (
    <SubNav.Main aria-label={title}>
      <SubNav.Header label={title} />
      <Divider />
      <SubNav.Content>
        <SubNav.Sections>
          {sections.map((section) => (
            <SubNav.Section key={section.id} label={section.label}>
              {visible
                .filter((p) => p.section === section.id)
                .map((p) => (
                  <SubNav.Link key={p.path} to={`${BASE}/${p.path}`} label={t(p.label[0], p.label[1])}>
                    {t(p.label[0], p.label[1])}
                  </SubNav.Link>
                ))}
            </SubNav.Section>
          ))}
        </SubNav.Sections>
      </SubNav.Content>
    </SubNav.Main>
  );
  const first = visible[0];
  return (
    <Layouts.Root sideNav={sideNav}>
      <Routes>
        <Route index element={first ? <Navigate to={first.path} replace /> : <Page.NoPermissions />} />
        <Route
          path="upload"
          element={
            <Protected path="upload">
              <UploadPage />
            </Protected>
          }
        />
        <Route
          path="videos"
          element={
            <Protected path="videos">
              <VideosPage />
            </Protected>
          }
        />
        <Route
          path="jobs"
          element={
            <Protected path="jobs">
              <JobsPage />
            </Protected>
          }
        />
        <Route
          path="results"
          element={
            <Protected path="results">
              <ResultsPage />
            </Protected>
          }
        />
        <Route
          path="usage"
          element={
            <Protected path="usage">
              <UsagePage />
            </Protected>
          }
        />
        <Route
          path="templates"
          element={
            <Protected path="templates">
              <TemplatesPage />
            </Protected>
          }
        />
        <Route
          path="templates/:templateId"
          element={
            <Protected path="templates">
              <TemplateEditPage />
            </Protected>
          }
        />
        <Route
          path="workflows"
          element={
            <Protected path="workflows">
              <WorkflowsPage />
            </Protected>
          }
        />
        <Route
          path="workflows/:workflowId"
          element={
            <Protected path="workflows">
              <WorkflowEditPage />
            </Protected>
          }
        />
        <Route
          path="settings"
          element={
            <Protected path="settings">
              <SettingsPage />
            </Protected>
          }
        />
        <Route path="*" element={<Page.Error />} />
      </Routes>
    </Layouts.Root>
  );
}
