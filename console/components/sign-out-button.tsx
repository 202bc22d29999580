import { signOutAction } from '@/app/actions.ts';
import { buttonClass, cx } from './ui.tsx';

export function SignOutButton({ serverKey, className }: { serverKey: string; className?: string }) {
  return (
    <form action={signOutAction.bind(null, serverKey)}>
      <button type="submit" className={cx(buttonClass('secondary', 'sm'), className)}>
        Sign out
      </button>
    </form>
  );
}
