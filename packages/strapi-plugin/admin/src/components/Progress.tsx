import { Box } from '@strapi/design-system';

const COLOR = { primary: 'primary600', success: 'success500' } as const;

/** A light progress bar for white panels (the design system's ProgressBar is made for dark ones). */
export function Progress({
  value,
  label,
  tone = 'primary',
  width = '100%',
}: {
  value: number;
  label: string;
  tone?: keyof typeof COLOR;
  width?: string;
}) {
  const clamped = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <Box
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      background="neutral150"
      hasRadius
      height="0.8rem"
      width={width}
      overflow="hidden"
    >
      <Box
        background={COLOR[tone]}
        height="100%"
        style={{ width: `${clamped}%`, transition: 'width 300ms ease-out' }}
      />
    </Box>
  );
}
